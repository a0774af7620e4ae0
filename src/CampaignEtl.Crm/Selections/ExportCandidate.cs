namespace CampaignEtl.Crm.Selections;

/// <summary>One selected person with what the export rules need and the mapped attribute values.</summary>
public sealed record ExportCandidate(
    string PersonId,
    string EntityType,
    string? Email,
    string? EmailNormalized,
    ExportExclusion Exclusion,
    string?[] Attributes)
{
    // Dataflow copies a failing message's ToString into exception data: keep personal data out.
    public override string ToString() => $"ExportCandidate {EntityType} {PersonId}";
}
