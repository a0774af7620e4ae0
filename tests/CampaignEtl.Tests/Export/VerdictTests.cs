using CampaignEtl.Crm.Selections;
using CampaignEtl.Pipeline.Export;

namespace CampaignEtl.Tests.Export;

public sealed class VerdictTests
{
    [Fact]
    public void For_ExcludedPerson_KeepsTheRuleAndIsNotRejected()
    {
        var verdict = Verdict.For(Candidate("003000000000001", "not-an-email", ExportExclusion.ConsentRevoked), Blocklist.Empty);
        verdict.IsExcluded.ShouldBeTrue();
        verdict.IsRejected.ShouldBeFalse();
        verdict.Exclusion.ShouldBe(ExportExclusion.ConsentRevoked);
    }

    [Fact]
    public void For_MissingId_RejectsWithColumnEntityId()
    {
        var verdict = Verdict.For(Candidate(" ", "a@example.com", ExportExclusion.None), Blocklist.Empty);
        verdict.RejectReason.ShouldBe("missing-id");
        verdict.RejectColumn.ShouldBe("entity-id");
    }

    [Fact]
    public void For_MissingEmail_RejectsWithColumnEmail()
    {
        var verdict = Verdict.For(Candidate("003000000000001", null, ExportExclusion.None), Blocklist.Empty);
        verdict.RejectReason.ShouldBe("missing-email");
        verdict.RejectColumn.ShouldBe("email");
    }

    [Fact]
    public void For_InvalidEmail_RejectsWithTheRuleAsDetail()
    {
        var verdict = Verdict.For(Candidate("003000000000001", "two@@example.com", ExportExclusion.None), Blocklist.Empty);
        verdict.RejectReason.ShouldBe("invalid-email");
        verdict.RejectDetail.ShouldBe("must contain exactly one '@'");
    }

    [Fact]
    public void For_GoodPersonWithPaddedEmail_IsAccepted()
    {
        var verdict = Verdict.For(Candidate("003000000000001", "  anna@example.com ", ExportExclusion.None), Blocklist.Empty);
        verdict.IsRejected.ShouldBeFalse();
        verdict.IsExcluded.ShouldBeFalse();
    }

    [Fact]
    public void For_BlockedAddress_IsExcludedAsBlocklistedBeforeTheDataChecks()
    {
        var blocklist = new Blocklist(["*@Blocked.example", "vip@example.com"]);
        Verdict.For(Candidate("003000000000001", " Anna@blocked.EXAMPLE", ExportExclusion.None), blocklist).Exclusion.ShouldBe(ExportExclusion.Blocklisted);
        Verdict.For(Candidate("003000000000002", "VIP@example.com", ExportExclusion.None), blocklist).Exclusion.ShouldBe(ExportExclusion.Blocklisted);
        Verdict.For(Candidate("003000000000003", "vip2@example.com", ExportExclusion.None), blocklist).IsExcluded.ShouldBeFalse();
    }

    [Fact]
    public void For_CrmRuleAndBlocklistBothMatch_TheCrmRuleIsNamed() =>
        Verdict.For(Candidate("003000000000001", "a@blocked.example", ExportExclusion.EmailBounced), new Blocklist(["*@blocked.example"]))
            .Exclusion.ShouldBe(ExportExclusion.EmailBounced);

    [Fact]
    public void ToString_OfCandidate_HoldsNoPersonalData()
    {
        Candidate("003000000000001", "anna@example.com", ExportExclusion.None).ToString().ShouldNotContain("anna");
    }

    private static ExportCandidate Candidate(string id, string? email, ExportExclusion exclusion) =>
        new(id, "contact", email, email?.Trim().ToLowerInvariant(), exclusion, []);
}
