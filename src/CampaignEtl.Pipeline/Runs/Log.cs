using Microsoft.Extensions.Logging;

namespace CampaignEtl.Pipeline.Runs;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, EventName = "StageStarted", Level = LogLevel.Information,
        Message = "Stage {Stage} attempt {Attempt} started (dry run: {DryRun})")]
    public static partial void StageStarted(ILogger logger, string stage, int attempt, bool dryRun);

    [LoggerMessage(EventId = 1002, EventName = "StageEnded", Level = LogLevel.Information,
        Message = "Stage {Stage} attempt {Attempt} {Status}: {RowsIn} in, {RowsOut} out, {RowsRejected} rejected, {RowsExcluded} excluded in {Seconds:0.00} s")]
    public static partial void StageEnded(ILogger logger, string stage, int attempt, string status, long rowsIn, long rowsOut, long rowsRejected, long rowsExcluded, double seconds);

    [LoggerMessage(EventId = 1003, EventName = "StageFailed", Level = LogLevel.Error,
        Message = "Stage {Stage} attempt {Attempt} failed: {Reason}")]
    public static partial void StageFailed(ILogger logger, Exception? exception, string stage, int attempt, string reason);

    [LoggerMessage(EventId = 1004, EventName = "ManifestNotWritten", Level = LogLevel.Error,
        Message = "The manifest of stage {Stage} attempt {Attempt} could not be written")]
    public static partial void SealFailed(ILogger logger, Exception exception, string stage, int attempt);

    [LoggerMessage(EventId = 1005, EventName = "AbandonedAttempts", Level = LogLevel.Warning,
        Message = "{Count} stage attempts of an earlier process were left running; recorded as interrupted")]
    public static partial void AbandonedAttempts(ILogger logger, int count);

    [LoggerMessage(EventId = 1006, EventName = "ArchivePurged", Level = LogLevel.Information,
        Message = "Retention purged {Manifests} stage attempts with a business date before {PurgedBefore}")]
    public static partial void Purged(ILogger logger, int manifests, string purgedBefore);

    [LoggerMessage(EventId = 1007, EventName = "ExportBeforeSuppress", Level = LogLevel.Warning,
        Message = "Dry run of export in run {RunId} without a succeeded suppress: a real run would refuse it unless --without-suppress is given")]
    public static partial void ExportBeforeSuppress(ILogger logger, string runId);
}
