using Microsoft.Extensions.Logging;

namespace CampaignEtl.Platform;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, EventName = "PlatformLoggedIn", Level = LogLevel.Information,
        Message = "Logged in to the platform as {User} for client {MandatorId} (renewal after {Lifetime})")]
    public static partial void LoggedIn(ILogger logger, string user, long mandatorId, TimeSpan lifetime);

    [LoggerMessage(EventId = 3002, EventName = "PlatformSessionRenewing", Level = LogLevel.Information,
        Message = "Platform session is {Age} old; logging in again before the platform ends it")]
    public static partial void SessionRenewing(ILogger logger, TimeSpan age);

    [LoggerMessage(EventId = 3003, EventName = "PlatformSessionRejected", Level = LogLevel.Warning,
        Message = "{Operation}: the platform rejected the session (Invalid sessionId); logging in again (once for every caller that saw it) and sending the call again with the new session")]
    public static partial void SessionRejected(ILogger logger, string operation);

    [LoggerMessage(EventId = 3004, EventName = "PlatformCallRetrying", Level = LogLevel.Warning,
        Message = "{Operation} attempt {Attempt} failed transiently ({Reason}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string operation, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 3005, EventName = "PlatformLogoutFailed", Level = LogLevel.Warning,
        Message = "Logout from the platform failed ({Reason}); the session ends on its own 20 minutes after login")]
    public static partial void LogoutFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, EventName = "PlatformLoggedOut", Level = LogLevel.Information,
        Message = "Logged out of the platform after {Calls} calls")]
    public static partial void LoggedOut(ILogger logger, long calls);
}
