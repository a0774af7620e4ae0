using System.Text.Json;
using System.Text.Json.Serialization;

namespace CampaignEtl.Pipeline.Archive;

/// <summary>Who is on the other side of an archived file.</summary>
public sealed record FileCounterpart(
    string System,
    long? RecipientListId = null,
    long? OptInId = null,
    string? RemotePath = null);

public sealed record ManifestFile(
    string Name,
    string Kind,
    string Direction,
    long Bytes,
    long? Rows,
    string Sha256,
    FileCounterpart Counterpart);

/// <summary>One stage attempt's manifest (<c>manifest.json</c> in the attempt folder). Schema: schemas/manifest.schema.json.</summary>
public sealed record AttemptManifest(
    string Schema,
    long Sequence,
    string? PreviousManifestSha256,
    string RunId,
    string BusinessDate,
    string Stage,
    int Attempt,
    string Status,
    string CreatedAt,
    IReadOnlyList<ManifestFile> Files)
{
    public const string SchemaName = "campaignetl-manifest/1";
}

public sealed record PurgedManifest(long Sequence, string Path, string Sha256, string RunId);

/// <summary>A retention purge, recorded in the chain so verification still holds after it.</summary>
public sealed record PurgeRecord(
    string Schema,
    long Sequence,
    string? PreviousManifestSha256,
    string CreatedAt,
    int RetentionDays,
    string PurgedBefore,
    IReadOnlyList<PurgedManifest> Purged)
{
    public const string SchemaName = "campaignetl-purge/1";
}

internal static class ManifestJson
{
    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };
}
