using System.Data.Common;

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
    /// <summary>
    /// The candidate of the current row of a selection query (either store's): id, entity type, email, normalized
    /// email, exclusion, then the attributes from column 5 on.
    /// </summary>
    internal static ExportCandidate Read(DbDataReader reader, int attributeCount)
    {
        var exclusion = (ExportExclusion)reader.GetInt32(4);
        if (exclusion != ExportExclusion.None)
        {
            // Excluded people are only counted: their address and attributes are not read.
            return new ExportCandidate(reader.GetString(0), reader.GetString(1), null, null, exclusion, []);
        }

        var attributes = attributeCount == 0 ? [] : new string?[attributeCount];
        for (var i = 0; i < attributeCount; i++)
        {
            attributes[i] = reader.GetString(5 + i);
        }

        return new ExportCandidate(
            reader.GetString(0),
            reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            exclusion,
            attributes);
    }

    // Dataflow copies a failing message's ToString into exception data: keep personal data out.
    public override string ToString() => $"ExportCandidate {EntityType} {PersonId}";
}
