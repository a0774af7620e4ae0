using System.Globalization;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Sandbox;

/// <summary>Kinds of injected failures; combine as flags.</summary>
[Flags]
public enum SandboxFaultKinds
{
    None = 0,

    /// <summary>HTTP 500 with an Axis SOAP fault (<c>soapenv:Server.userException</c>, a Java exception text).</summary>
    AxisFault = 1,

    /// <summary>HTTP 503 with an HTML error page, as a proxy or load balancer in front of the platform answers.</summary>
    HtmlErrorPage = 2,

    /// <summary>The connection is aborted without an answer.</summary>
    DroppedConnection = 4,

    All = AxisFault | HtmlErrorPage | DroppedConnection,
}

/// <summary>Configuration of the sandbox platform. <see cref="SandboxOptionsValidator"/> checks it.</summary>
public sealed class SandboxOptions
{
    public const string Section = "Sandbox";

    /// <summary>
    /// True: <c>run</c> and <c>worker</c> start this sandbox in-process on 127.0.0.1 and use it as the
    /// platform instead of <c>Platform:Endpoint</c> and its credentials (the demo; the recipient lists of
    /// <c>Export:RecipientLists</c> are created in it). False for a real platform. Default false.
    /// </summary>
    public bool Embedded { get; set; }

    /// <summary>The client (mandator) id that <c>login</c> accepts. Default 1000.</summary>
    public long MandatorId { get; set; } = 1000;

    /// <summary>The API user that <c>login</c> accepts. Default <c>api-user</c>.</summary>
    public string User { get; set; } = "api-user";

    /// <summary>The password that <c>login</c> accepts. Default <c>sandbox-password</c>. Never logged.</summary>
    public string Password { get; set; } = "sandbox-password";

    /// <summary>The SQLite file holding the state; an existing file is reused. Null: a temporary file deleted on dispose.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Where response, outbounce and unsubscriber export files go. Null: a temporary folder deleted on dispose.</summary>
    public string? DropFolder { get; set; }

    /// <summary>A session dies this long after login (TimeProvider time). Default 20 minutes, as the real platform.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>A session dies after this many calls made with it (0 = no limit). For fault-injection tests. Default 0.</summary>
    public int SessionLifetimeCalls { get; set; }

    /// <summary>Share of calls (0 to 1) answered by an injected failure of one of <see cref="FaultKinds"/>. Default 0.</summary>
    public double FaultRate { get; set; }

    /// <summary>Which failures <see cref="FaultRate"/> injects, mixed deterministically. Default all.</summary>
    public SandboxFaultKinds FaultKinds { get; set; } = SandboxFaultKinds.All;

    /// <summary>Share of calls (0 to 1) whose connection is dropped, in addition to <see cref="FaultRate"/>. Default 0.</summary>
    public double DroppedConnectionRate { get; set; }

    /// <summary>Seed of the fault draws: the same seed and the same sequence of calls give the same faults. Default 1.</summary>
    public int FaultSeed { get; set; } = 1;

    /// <summary>Delay added to every call (waited on the TimeProvider). Default zero.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>Hard bounces at which an address is over the limit (addAll3 code 4). Default 3.</summary>
    public int HardBounceThreshold { get; set; } = 3;

    /// <summary>Soft bounces at which an address is over the limit (addAll3 code 4). Default 5.</summary>
    public int SoftBounceThreshold { get; set; } = 5;

    /// <summary>True: <c>UnsubscribeWebservice.addAll</c> unsubscribes from the named list only; false (the platform default): client-wide.</summary>
    public bool ListBasedUnsubscribes { get; set; }

    /// <summary>True: an unknown list id used by a call is created as a regular list and unknown attribute names are added to it. Default false (a fault).</summary>
    public bool AutoCreateLists { get; set; }

    /// <summary>Largest accepted request body. Default 64 MiB.</summary>
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Recipient lists created (or their definitions updated) at start, e.g. from configuration for <c>sandbox serve</c>.</summary>
    public IList<SandboxListOptions> RecipientLists { get; init; } = [];

    /// <summary>Blocklist entries (addresses or * ? patterns) added at start.</summary>
    public IList<string> BlocklistEntries { get; init; } = [];
}

/// <summary>A recipient list the sandbox creates at start.</summary>
public sealed class SandboxListOptions
{
    public long Id { get; set; }

    public string Name { get; set; } = string.Empty;

    /// <summary>True: an opt-in list (adding an unsubscribed recipient re-activates it); false: a regular list (code 2).</summary>
    public bool IsOptInList { get; set; }

    public IList<string> Attributes { get; init; } = [];
}

/// <summary>Checks every setting at once; each error names the key and the bad value (never the password).</summary>
public sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var errors = Validate(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static IReadOnlyList<string> Validate(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Add(string key, FormattableString text) => errors.Add(key + " " + text.ToString(CultureInfo.InvariantCulture));

        if (options.MandatorId <= 0)
        {
            Add("Sandbox:MandatorId", $"= {options.MandatorId}: must be a positive client id");
        }

        if (string.IsNullOrWhiteSpace(options.User))
        {
            Add("Sandbox:User", $"= '{options.User}': must name the API user");
        }

        if (string.IsNullOrEmpty(options.Password))
        {
            errors.Add("Sandbox:Password must not be empty");
        }

        if (options.DatabasePath is { } db && string.IsNullOrWhiteSpace(db))
        {
            Add("Sandbox:DatabasePath", $"= '{db}': must name a file or be left out");
        }

        if (options.DropFolder is { } drop && string.IsNullOrWhiteSpace(drop))
        {
            Add("Sandbox:DropFolder", $"= '{drop}': must name a folder or be left out");
        }

        if (options.SessionLifetime <= TimeSpan.Zero || options.SessionLifetime > TimeSpan.FromDays(1))
        {
            Add("Sandbox:SessionLifetime", $"= {options.SessionLifetime}: must be more than zero and at most one day");
        }

        if (options.SessionLifetimeCalls < 0)
        {
            Add("Sandbox:SessionLifetimeCalls", $"= {options.SessionLifetimeCalls}: must be 0 (no limit) or more");
        }

        if (double.IsNaN(options.FaultRate) || options.FaultRate is < 0 or > 1)
        {
            Add("Sandbox:FaultRate", $"= {options.FaultRate}: must be between 0 and 1");
        }

        if (options.FaultRate > 0 && (options.FaultKinds & SandboxFaultKinds.All) == SandboxFaultKinds.None)
        {
            Add("Sandbox:FaultKinds", $"= {options.FaultKinds}: must name at least one kind when FaultRate is above 0");
        }

        if (double.IsNaN(options.DroppedConnectionRate) || options.DroppedConnectionRate is < 0 or > 1)
        {
            Add("Sandbox:DroppedConnectionRate", $"= {options.DroppedConnectionRate}: must be between 0 and 1");
        }

        if (options.Latency < TimeSpan.Zero || options.Latency > TimeSpan.FromMinutes(5))
        {
            Add("Sandbox:Latency", $"= {options.Latency}: must be between zero and 5 minutes");
        }

        if (options.HardBounceThreshold < 1)
        {
            Add("Sandbox:HardBounceThreshold", $"= {options.HardBounceThreshold}: must be 1 or more");
        }

        if (options.SoftBounceThreshold < 1)
        {
            Add("Sandbox:SoftBounceThreshold", $"= {options.SoftBounceThreshold}: must be 1 or more");
        }

        if (options.MaxRequestBytes < 1024)
        {
            Add("Sandbox:MaxRequestBytes", $"= {options.MaxRequestBytes}: must be at least 1024");
        }

        var seen = new HashSet<long>();
        for (var i = 0; i < options.RecipientLists.Count; i++)
        {
            var list = options.RecipientLists[i];
            var key = "Sandbox:RecipientLists:" + i.ToString(CultureInfo.InvariantCulture);
            if (list.Id <= 0 || !seen.Add(list.Id))
            {
                Add(key + ":Id", $"= {list.Id}: must be a positive list id used once");
            }

            if (string.IsNullOrWhiteSpace(list.Name))
            {
                Add(key + ":Name", $"= '{list.Name}': must name the list");
            }

            foreach (var attribute in list.Attributes)
            {
                if (string.IsNullOrWhiteSpace(attribute))
                {
                    Add(key + ":Attributes", $"= '{attribute}': attribute names must not be empty");
                }
            }
        }

        for (var i = 0; i < options.BlocklistEntries.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.BlocklistEntries[i]))
            {
                Add("Sandbox:BlocklistEntries:" + i.ToString(CultureInfo.InvariantCulture), $"= '{options.BlocklistEntries[i]}': must be an address or a pattern");
            }
        }

        return errors;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every error.</summary>
    public static void ThrowIfInvalid(SandboxOptions options)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid sandbox options: " + string.Join("; ", errors), nameof(options));
        }
    }
}
