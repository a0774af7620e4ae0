using Microsoft.Extensions.Logging;

namespace CampaignEtl.Transfer;

internal static partial class Log
{
    [LoggerMessage(EventId = 5001, EventName = "TransferRetrying", Level = LogLevel.Warning,
        Message = "{Operation} of {Name} on the {Protocol} drop, attempt {Attempt} failed ({Reason}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string operation, string name, TransferProtocol protocol, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 5002, EventName = "TransferDownloaded", Level = LogLevel.Information,
        Message = "Downloaded {Name} ({Bytes} bytes) from the {Protocol} drop to {Target}")]
    public static partial void Downloaded(ILogger logger, string name, long bytes, TransferProtocol protocol, string target);

    [LoggerMessage(EventId = 5003, EventName = "TransferUploaded", Level = LogLevel.Information,
        Message = "Uploaded {Name} ({Bytes} bytes) to the {Protocol} drop")]
    public static partial void Uploaded(ILogger logger, string name, long bytes, TransferProtocol protocol);

    [LoggerMessage(EventId = 5004, EventName = "TransferMovedToProcessed", Level = LogLevel.Information,
        Message = "Moved {Name} to {ProcessedFolder} on the {Protocol} drop")]
    public static partial void MovedToProcessed(ILogger logger, string name, string processedFolder, TransferProtocol protocol);

    [LoggerMessage(EventId = 5005, EventName = "TransferHostKeyNotPinned", Level = LogLevel.Warning,
        Message = "Transfer:PinHostKey is false: accepting the host key {Fingerprint} of {Host}:{Port} unchecked; pin it with Transfer:HostKeyFingerprint")]
    public static partial void HostKeyNotPinned(ILogger logger, string fingerprint, string host, int port);

    [LoggerMessage(EventId = 5006, EventName = "TransferSkippedBadName", Level = LogLevel.Warning,
        Message = "Listing {Folder} on the {Protocol} drop: skipped {Count} entries whose names would be refused ({Example})")]
    public static partial void SkippedBadNames(ILogger logger, string folder, TransferProtocol protocol, int count, string example);

    [LoggerMessage(EventId = 5007, EventName = "TransferTemporaryLeft", Level = LogLevel.Warning,
        Message = "Could not remove the temporary upload {Name} from the {Protocol} drop ({Reason}); it is hidden and ignored by listings")]
    public static partial void TemporaryLeft(ILogger logger, string name, TransferProtocol protocol, string reason);
}
