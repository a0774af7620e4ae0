using CampaignEtl.Pipeline.Export;

namespace CampaignEtl.Tests.Export;

public sealed class DuplicateAddressFinderTests
{
    [Fact]
    public void Duplicates_SharedAddressesInAnyOrder_AreGroupedAndOrderedByAddressThenId()
    {
        using var finder = new DuplicateAddressFinder();
        finder.Add("zoe@example.com", "003000000000009");
        finder.Add("anna@example.com", "003000000000005");
        finder.Add("üllar@example.com", "003000000000007");
        finder.Add("bob@example.com", "003000000000002");
        finder.Add("anna@example.com", "00Q000000000001");
        finder.Add("üllar@example.com", "003000000000003");
        finder.Add("zoe@example.com", "003000000000001");
        finder.Add("1st@example.com", "003000000000004");
        finder.Add("anna@example.com", "003000000000004");

        var groups = finder.Duplicates().Select(g => (g.Address, string.Join(' ', g.RecipientIds))).ToList();

        groups.ShouldBe([
            ("anna@example.com", "003000000000004 003000000000005 00Q000000000001"),
            ("zoe@example.com", "003000000000001 003000000000009"),
            ("üllar@example.com", "003000000000003 003000000000007"),
        ]);
    }

    [Fact]
    public void Duplicates_NoSharedAddress_IsEmpty()
    {
        using var finder = new DuplicateAddressFinder();
        finder.Add("anna@example.com", "003000000000001");
        finder.Add("bob@example.com", "003000000000002");

        finder.Duplicates().ShouldBeEmpty();
    }

    [Fact]
    public void Dispose_AfterRecords_LeavesNoSpillFileBehind()
    {
        string folder;
        using (var finder = new DuplicateAddressFinder())
        {
            finder.Add("anna@example.com", "003000000000001");
            folder = finder.Folder;
            Directory.EnumerateFiles(folder).ShouldNotBeEmpty();
        }

        Directory.Exists(folder).ShouldBeFalse();
    }
}
