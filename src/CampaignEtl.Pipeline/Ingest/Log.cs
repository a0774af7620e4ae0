using Microsoft.Extensions.Logging;

namespace CampaignEtl.Pipeline.Ingest;

internal static partial class Log
{
    [LoggerMessage(EventId = 4001, EventName = "IngestStale", Level = LogLevel.Warning,
        Message = "Ingest: the last successful ingest ended {Days} days ago (more than {StaleAfterDays} days); the platform keeps response data only 14 to 30 days, so events may be lost")]
    public static partial void Stale(ILogger logger, long days, double staleAfterDays);

    [LoggerMessage(EventId = 4002, EventName = "IngestFilesFound", Level = LogLevel.Information,
        Message = "Ingest: {Matching} of {Listed} files on the drop match {FilePattern}")]
    public static partial void FilesFound(ILogger logger, int matching, int listed, string filePattern);

    [LoggerMessage(EventId = 4003, EventName = "IngestFileSkipped", Level = LogLevel.Information,
        Message = "Ingest: {File} is already ingested (same SHA-256); skipped")]
    public static partial void AlreadyIngested(ILogger logger, string file);

    [LoggerMessage(EventId = 4004, EventName = "IngestFileRead", Level = LogLevel.Information,
        Message = "Ingest: {File}: {Read} rows read, {Applied} applied, {Ignored} ignored, {Rejected} rejected (resumed after line {ResumedAfter})")]
    public static partial void FileRead(ILogger logger, string file, long read, long applied, long ignored, long rejected, long resumedAfter);

    [LoggerMessage(EventId = 4005, EventName = "IngestFileFailed", Level = LogLevel.Error,
        Message = "Ingest: {File} is unusable: {Reason}")]
    public static partial void FileFailed(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 4006, EventName = "IngestSoftBounceThreshold", Level = LogLevel.Information,
        Message = "Ingest: the platform's soft-bounce threshold is {Threshold}")]
    public static partial void SoftBounceThreshold(ILogger logger, int threshold);
}
