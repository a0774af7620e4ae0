namespace CampaignEtl.Pipeline.Archive;

public enum AuditFindingKind
{
    Changed,
    Removed,
    Added,
    ChainBroken,
}

/// <summary>One thing in the archive that is not as the manifests and the journal recorded it.</summary>
public sealed record AuditFinding(AuditFindingKind Kind, string RelativePath, string Detail)
{
    public string KindText => Kind switch
    {
        AuditFindingKind.Changed => "changed",
        AuditFindingKind.Removed => "removed",
        AuditFindingKind.Added => "added",
        AuditFindingKind.ChainBroken => "chain-broken",
        _ => throw new InvalidOperationException(),
    };
}

public sealed record AuditReport(int ManifestsChecked, int FilesChecked, IReadOnlyList<AuditFinding> Findings)
{
    public bool IsIntact => Findings.Count == 0;
}
