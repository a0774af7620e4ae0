using CampaignEtl.Sandbox.Store;

namespace CampaignEtl.Tests.Sandbox;

public sealed class WildcardTests
{
    [Theory]
    [InlineData("*@example.org", "a@example.org", true)]
    [InlineData("*@example.org", "A.B@EXAMPLE.ORG", true)]
    [InlineData("*@example.org", "a@example.org.uk", false)]
    [InlineData("*@example.org", "a@sub.example.org", false)]
    [InlineData("*@*example.org", "a@sub.example.org", true)]
    [InlineData("info@*", "info@anything.de", true)]
    [InlineData("info@*", "xinfo@anything.de", false)]
    [InlineData("t?st@x.de", "test@x.de", true)]
    [InlineData("t?st@x.de", "tst@x.de", false)]
    [InlineData("*", "", true)]
    [InlineData("a**b", "ab", true)]
    [InlineData("exact@x.de", "Exact@X.de", true)]
    [InlineData("exact@x.de", "exact@x.dex", false)]
    public void IsMatch_Pattern_MatchesWholeAddressIgnoringCase(string pattern, string text, bool expected) =>
        Wildcard.IsMatch(pattern, text).ShouldBe(expected);

    [Theory]
    [InlineData("*@x.de", true)]
    [InlineData("a?@x.de", true)]
    [InlineData("a@x.de", false)]
    public void HasWildcards_Entry_TellsPatternsFromAddresses(string entry, bool expected) =>
        Wildcard.HasWildcards(entry).ShouldBe(expected);

    [Theory]
    [InlineData("a@example.com", true)]
    [InlineData("first.last+tag@sub.example.co.uk", true)]
    [InlineData("invalid", false)]
    [InlineData("a@b", false)]
    [InlineData("a@@b.de", false)]
    [InlineData("a b@c.de", false)]
    [InlineData("@c.de", false)]
    [InlineData("a@c..de", false)]
    [InlineData(".a@c.de", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void EmailSyntax_Address_AcceptsOnlyPlausibleAddresses(string? address, bool expected) =>
        EmailSyntax.IsValid(address).ShouldBe(expected);
}
