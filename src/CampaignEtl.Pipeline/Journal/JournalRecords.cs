using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.Pipeline.Journal;

public sealed record RunRecord(string RunId, DateOnly BusinessDate, string TimeZone, string CreatedAt, string Trigger, string? PurgedAt);

public sealed record AttemptRecord(
    long Id,
    string RunId,
    StageName Stage,
    int Attempt,
    StageStatus Status,
    string StartedAt,
    string? EndedAt,
    long? DurationMs,
    long RowsIn,
    long RowsOut,
    long RowsRejected,
    long RowsExcluded,
    string? CountsJson,
    string? Error,
    string? Overrides,
    long PlatformCalls);

public sealed record ArchivedFileRecord(
    string Name,
    string RelativePath,
    string Kind,
    string Direction,
    long? Rows,
    long Bytes,
    string Sha256,
    string? Counterpart);

public sealed record ChainEntry(long Sequence, string Kind, string RelativePath, string Sha256, string CreatedAt, long? PurgedBy);

public sealed record LockHolder(string? RunId, int ProcessId, string Host, string AcquiredAt);
