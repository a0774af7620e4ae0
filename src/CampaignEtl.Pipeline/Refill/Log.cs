using Microsoft.Extensions.Logging;

namespace CampaignEtl.Pipeline.Refill;

internal static partial class Log
{
    [LoggerMessage(EventId = 6001, EventName = "RefillListRefilled", Level = LogLevel.Information,
        Message = "Recipient list {ListName} ({ListId}): {RowsIn} rows uploaded, {Accepted} accepted, {Rejected} rejected, {Excluded} excluded by the platform; the platform counts {PlatformCount}")]
    public static partial void ListRefilled(ILogger logger, string listName, long listId, long rowsIn, long accepted, long rejected, long excluded, int platformCount);

    [LoggerMessage(EventId = 6002, EventName = "RefillDryRunDiff", Level = LogLevel.Information,
        Message = "Dry run, recipient list {ListName} ({ListId}): {Added} added, {Removed} removed, {Unchanged} unchanged against {PreviousFile}")]
    public static partial void DryRunDiff(ILogger logger, string listName, long listId, long added, long removed, long unchanged, string previousFile);

    [LoggerMessage(EventId = 6003, EventName = "RefillShrinkGuard", Level = LogLevel.Warning,
        Message = "Recipient list {ListName}: {Reason}")]
    public static partial void ShrinkGuard(ILogger logger, string listName, string reason);

    [LoggerMessage(EventId = 6004, EventName = "RefillCrmFeedback", Level = LogLevel.Information,
        Message = "Recipient list {ListName}: platform feedback to the CRM: {Changed} changed, {Unchanged} already known, {UnknownPeople} unknown people")]
    public static partial void Feedback(ILogger logger, string listName, long changed, long unchanged, long unknownPeople);

    [LoggerMessage(EventId = 6005, EventName = "RefillDryRunWithoutExport", Level = LogLevel.Information,
        Message = "Dry run of refill: run {RunId} has no archived export yet, so there is nothing to compare; after a real export, 'run --run-id {RunId} --stage refill --dry-run' shows the changes per list")]
    public static partial void DryRunWithoutExport(ILogger logger, string runId);
}
