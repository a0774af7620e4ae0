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
    public void Blocks_PlatformWildcardSemantics(string pattern, string email, bool blocked) =>
        new Blocklist([pattern]).Blocks(email).ShouldBe(blocked);

    [Fact]
    public void Blocks_EmptyList_BlocksNothing() => Blocklist.Empty.Blocks("anna@example.org").ShouldBeFalse();
}
