using Microsoft.Extensions.Logging;

namespace CampaignEtl.Pipeline.Export;

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, EventName = "ExportListExported", Level = LogLevel.Information,
        Message = "Recipient list {ListName} ({ListId}): {Selected} selected, {Exported} exported, {Rejected} rejected, {Excluded} excluded")]
    public static partial void ListExported(ILogger logger, string listName, long listId, long selected, long exported, long rejected, long excluded);

    [LoggerMessage(EventId = 2002, EventName = "ExportDuplicateEmails", Level = LogLevel.Warning,
        Message = "Recipient list {ListName}: {Addresses} email addresses are shared by {Records} exported records (see the duplicate-emails file)")]
    public static partial void DuplicateEmails(ILogger logger, string listName, long addresses, long records);
}
