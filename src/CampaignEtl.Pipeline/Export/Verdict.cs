using CampaignEtl.Crm.Selections;

namespace CampaignEtl.Pipeline.Export;

/// <summary>Where one selected person goes: into the file, into the reject file (with reason), or out by a named rule.</summary>
internal readonly record struct Verdict(ExportExclusion Exclusion, string? RejectColumn, string? RejectReason, string? RejectDetail)
{
    public static Verdict Accepted => default;

    public bool IsRejected => RejectReason is not null;

    public bool IsExcluded => Exclusion != ExportExclusion.None;

    /// <summary>
    /// The CRM's exclusion rules (from SQL), then the blocklist, then the data checks: bad data
    /// becomes a reject with a reason.
    /// </summary>
    public static Verdict For(ExportCandidate candidate, Blocklist blocklist)
    {
        if (candidate.Exclusion != ExportExclusion.None)
        {
            return new Verdict(candidate.Exclusion, null, null, null);
        }

        if (candidate.Email is { } address && blocklist.Blocks(address.Trim()))
        {
            return new Verdict(ExportExclusion.Blocklisted, null, null, null);
        }

        if (string.IsNullOrWhiteSpace(candidate.PersonId))
        {
            return new Verdict(ExportExclusion.None, "entity-id", "missing-id", "the record has no CRM id");
        }

        var problem = EmailAddressRule.Check(candidate.Email?.Trim());
        return problem switch
        {
            null => Accepted,
            "missing" => new Verdict(ExportExclusion.None, "email", "missing-email", "the record has no email address"),
            _ => new Verdict(ExportExclusion.None, "email", "invalid-email", problem),
        };
    }
}
