using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Platform;

/// <summary>The Optimizely Campaign SOAP API: where, as whom, and how hard to push it.</summary>
public sealed class PlatformOptions
{
    public const string Section = "Platform";

    public const string DefaultEndpoint = "https://api.campaign.episerver.net/soap11/";

    /// <summary>Base address; the service path <c>Rpc&lt;Name&gt;</c> is appended. Plain http only for loopback hosts.</summary>
    public string Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>The client id (mandatorId of <c>SessionWebservice.login</c>).</summary>
    public long MandatorId { get; set; }

    public string User { get; set; } = string.Empty;

    /// <summary>Secret: never logged, never in <see cref="ToString"/> or exception messages.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Log in again after this long. Default 15 minutes; the platform ends a session 20 minutes after login.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Parallel calls, 1 to 40 (the platform allows 40 connections per client). Default 4.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Calls one run may make (logins and retries count); null = no budget.</summary>
    public long? CallBudget { get; set; }

    /// <summary>Per HTTP exchange. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest answer accepted, in bytes. Default 64 MiB.</summary>
    public long MaxReceivedMessageSize { get; set; } = 64L * 1024 * 1024;

    public PlatformRetryOptions Retry { get; set; } = new();

    // The password stays out on purpose.
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Endpoint={Endpoint}, MandatorId={MandatorId}, User={User}, Password=(secret), SessionLifetime={SessionLifetime}, MaxConcurrency={MaxConcurrency}, CallBudget={CallBudget?.ToString(CultureInfo.InvariantCulture) ?? "none"}, Timeout={Timeout}, MaxReceivedMessageSize={MaxReceivedMessageSize}, Retry={Retry.Attempts}x{Retry.BaseDelay}");

    internal static Uri? ParseEndpoint(string? endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return null;
        }

        // Relative service paths resolve below the base only when it ends in '/'.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    internal static bool IsLoopback(Uri uri) =>
        uri.IsLoopback
        || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.IdnHost, out var address) && IPAddress.IsLoopback(address));
}

/// <summary>Retries of transient failures, only for operations that are safe to repeat.</summary>
public sealed class PlatformRetryOptions
{
    /// <summary>Tries per call including the first, 1 to 10. Default 4.</summary>
    public int Attempts { get; set; } = 4;

    /// <summary>Delay before the first retry, doubled for each further one (capped at 5 minutes). Default 1 second.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    internal TimeSpan DelayBefore(int retry)
    {
        var ticks = BaseDelay.Ticks * Math.Pow(2, Math.Max(0, retry - 1));
        return TimeSpan.FromTicks((long)Math.Min(ticks, TimeSpan.FromMinutes(5).Ticks));
    }
}

/// <summary>Reports every problem of the Platform section at once, naming the key and the bad value (never the password).</summary>
public sealed class PlatformOptionsValidator : IValidateOptions<PlatformOptions>
{
    public ValidateOptionsResult Validate(string? name, PlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        var uri = PlatformOptions.ParseEndpoint(options.Endpoint);
        if (uri is null)
        {
            builder.AddError($"Platform:Endpoint = '{options.Endpoint}': not an absolute http(s) URI");
        }
        else if (uri.Scheme == Uri.UriSchemeHttp && !PlatformOptions.IsLoopback(uri))
        {
            builder.AddError($"Platform:Endpoint = '{options.Endpoint}': plain http is refused except for loopback hosts (127.0.0.0/8, ::1, localhost); use https");
        }

        if (options.MandatorId <= 0)
        {
            builder.AddError(Invariant($"Platform:MandatorId = {options.MandatorId}: missing or not a positive client id"));
        }

        if (string.IsNullOrWhiteSpace(options.User))
        {
            builder.AddError("Platform:User is required");
        }

        if (string.IsNullOrEmpty(options.Password))
        {
            builder.AddError("Platform:Password is required");
        }

        if (options.SessionLifetime <= TimeSpan.Zero || options.SessionLifetime >= TimeSpan.FromMinutes(20))
        {
            builder.AddError(Invariant($"Platform:SessionLifetime = {options.SessionLifetime}: must be above 00:00:00 and below 00:20:00 (the platform ends sessions 20 minutes after login)"));
        }

        if (options.MaxConcurrency is < 1 or > 40)
        {
            builder.AddError(Invariant($"Platform:MaxConcurrency = {options.MaxConcurrency}: must be between 1 and 40 (the platform allows 40 connections per client)"));
        }

        if (options.CallBudget is < 1)
        {
            builder.AddError(Invariant($"Platform:CallBudget = {options.CallBudget}: must be at least 1, or absent for no budget"));
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromHours(1))
        {
            builder.AddError(Invariant($"Platform:Timeout = {options.Timeout}: must be above 00:00:00 and at most 01:00:00"));
        }

        if (options.MaxReceivedMessageSize is < 1024 or > int.MaxValue)
        {
            builder.AddError(Invariant($"Platform:MaxReceivedMessageSize = {options.MaxReceivedMessageSize}: must be between 1024 and {int.MaxValue} bytes"));
        }

        if (options.Retry is null)
        {
            builder.AddError("Platform:Retry is required");
        }
        else
        {
            if (options.Retry.Attempts is < 1 or > 10)
            {
                builder.AddError(Invariant($"Platform:Retry:Attempts = {options.Retry.Attempts}: must be between 1 (no retry) and 10"));
            }

            if (options.Retry.BaseDelay < TimeSpan.Zero || options.Retry.BaseDelay > TimeSpan.FromMinutes(1))
            {
                builder.AddError(Invariant($"Platform:Retry:BaseDelay = {options.Retry.BaseDelay}: must be between 00:00:00 and 00:01:00"));
            }
        }

        return builder.Build();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
