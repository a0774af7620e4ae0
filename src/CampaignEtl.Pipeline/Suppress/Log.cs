using Microsoft.Extensions.Logging;

namespace CampaignEtl.Pipeline.Suppress;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, EventName = "SuppressWindow", Level = LogLevel.Information,
        Message = "Suppress: reading the platform's closed-loop data from {Since} to {Until} (first window: {First})")]
    public static partial void Window(ILogger logger, DateTimeOffset since, DateTimeOffset until, bool first);

    [LoggerMessage(EventId = 1002, EventName = "SuppressSourceRead", Level = LogLevel.Information,
        Message = "Suppress: {Source}: {Read} rows read, {Accepted} events, {Duplicates} duplicates, {Rejected} rejected")]
    public static partial void SourceRead(ILogger logger, string source, long read, long accepted, long duplicates, long rejected);

    [LoggerMessage(EventId = 1003, EventName = "SuppressApplied", Level = LogLevel.Information,
        Message = "Suppress: {Applied} events applied, {AlreadyApplied} already applied, {Rejected} rejected, {Ambiguous} matched several people by address")]
    public static partial void Applied(ILogger logger, long applied, long alreadyApplied, long rejected, long ambiguous);
}
