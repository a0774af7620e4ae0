using CampaignEtl.Pipeline.Export;

namespace CampaignEtl.Tests.Export;

public sealed class DuplicateAddressFinderTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_parent))
        {
            Directory.Delete(_parent, recursive: true);
        }
    }

    [Theory]
    [InlineData(1000)] // everything in one in-memory run
    [InlineData(2)] // spilled runs of two, merged
    public void Duplicates_SharedAddressesInAnyOrder_AreGroupedAndOrderedByAddressThenId(int runSize)
    {
        using var finder = new DuplicateAddressFinder(_parent, runSize);
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
        using var finder = new DuplicateAddressFinder(_parent, runSize: 1);
        finder.Add("anna@example.com", "003000000000001");
        finder.Add("bob@example.com", "003000000000002");

        finder.Duplicates().ShouldBeEmpty();
    }

    [Fact]
    public void Add_WithinOneRun_TouchesNoDisk()
    {
        using var finder = new DuplicateAddressFinder(_parent, runSize: 3);
        finder.Add("anna@example.com", "003000000000001");
        finder.Add("anna@example.com", "003000000000002");

        finder.Duplicates().Count().ShouldBe(1);
        Directory.Exists(finder.Folder).ShouldBeFalse();
    }

    [Fact]
    public void Dispose_AfterSpilledRuns_LeavesNoSpillFileBehind()
    {
        string folder;
        using (var finder = new DuplicateAddressFinder(_parent, runSize: 1))
        {
            finder.Add("anna@example.com", "003000000000001");
            finder.Add("anna@example.com", "003000000000002");
            folder = finder.Folder;
            Directory.EnumerateFiles(folder).Count().ShouldBe(2);
            if (!OperatingSystem.IsWindows())
            {
                File.GetUnixFileMode(folder).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Directory.Exists(folder).ShouldBeFalse();
    }
}
