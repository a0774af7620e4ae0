using CampaignEtl.Crm.Selections;

namespace CampaignEtl.Tests.Export;

public sealed class BlocklistTests
{
    [Theory]
    [InlineData("*@example.org", "anna@example.org", true)]
    [InlineData("*@example.org", "@example.org", false)]
    [InlineData("*@example.org", "anna@example.org.evil", false)]
    [InlineData("anna?@example.org", "anna1@example.org", true)]
    [InlineData("anna?@example.org", "anna12@example.org", false)]
    [InlineData("a.b+c@example.org", "a.b+c@example.org", true)]
    [InlineData("a.b+c@example.org", "aXb+c@example.org", false)]
    [InlineData("ANNA@Example.org", "anna@example.ORG", true)]
    [InlineData("*@Example.ORG", "Anna@example.org", true)]
    [InlineData("*@example.org", "anna@sub.example.org", false)]
    [InlineData("*@example.org", "a@b@example.org", true)]
    [InlineData("*@a@example.org", "x@a@example.org", true)]
    [InlineData("*@exa?ple.org", "anna@example.org", true)]
    [InlineData("*anna@example.org", "xanna@example.org", true)]
    [InlineData("*anna@example.org", "anna@example.org", false)]
    public void Blocks_PlatformWildcardSemantics(string pattern, string email, bool blocked) =>
        new Blocklist([pattern]).Blocks(email).ShouldBe(blocked);

    [Fact]
    public void Blocks_DomainAndRegexPatternsTogether_EachStillMatches()
    {
        var blocklist = new Blocklist(["*@blocked.example", "spam?@example.org", "exact@example.net"]);

        blocklist.Blocks("anyone@blocked.example").ShouldBeTrue();
        blocklist.Blocks("spam1@example.org").ShouldBeTrue();
        blocklist.Blocks("exact@example.net").ShouldBeTrue();
        blocklist.Blocks("anna@example.org").ShouldBeFalse();
        blocklist.Count.ShouldBe(3);
    }

    [Fact]
    public void Blocks_EmptyList_BlocksNothing() => Blocklist.Empty.Blocks("anna@example.org").ShouldBeFalse();
}
