using CampaignEtl.Pipeline.Export;

namespace CampaignEtl.Tests.Export;

public sealed class EmailAddressRuleTests
{
    [Theory]
    [InlineData("anna.mueller@example.com")]
    [InlineData("o'brien+news@mail.example.co.uk")]
    [InlineData("zoe@münchen.example")]
    public void Check_ValidAddress_ReturnsNull(string email) => EmailAddressRule.Check(email).ShouldBeNull();

    [Theory]
    [InlineData(null, "missing")]
    [InlineData("   ", "missing")]
    [InlineData("max.mustermann@", "domain has an empty or malformed label")]
    [InlineData("no-at-sign.example.com", "must contain exactly one '@'")]
    [InlineData("two@@example.com", "must contain exactly one '@'")]
    [InlineData("space in@example.com", "local part contains a space or a character not allowed unquoted")]
    [InlineData("@example.com", "local part must have 1 to 64 characters")]
    [InlineData("trailing.dot@example.", "domain has an empty or malformed label")]
    [InlineData("missing-domain@localhost", "domain needs at least two labels (e.g. example.com)")]
    [InlineData(".lead@example.com", "local part has a leading, trailing or double dot")]
    [InlineData("a..b@example.com", "local part has a leading, trailing or double dot")]
    [InlineData("a@exa_mple.com", "domain contains a character other than letters, digits, '-' and '.'")]
    public void Check_InvalidAddress_NamesTheReason(string? email, string reason) => EmailAddressRule.Check(email).ShouldBe(reason);

    [Fact]
    public void Check_ReasonNeverContainsTheAddress()
    {
        var reason = EmailAddressRule.Check("secret.person@@example.com");
        reason.ShouldNotBeNull();
        reason.ShouldNotContain("secret");
    }
}
