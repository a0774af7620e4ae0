using CampaignEtl.Pipeline.Options;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Composition;

/// <summary>
/// The demo's platform: with <c>Sandbox:Embedded</c> the host starts the sandbox platform in-process
/// (127.0.0.1, a free port, its state and drop folder under <c>&lt;Data:Folder&gt;/sandbox</c>, so they
/// persist from night to night like a real platform's) and hands the stages clients that talk to it
/// over real HTTP with the real SOAP client. The recipient lists of <c>Export:RecipientLists</c> are
/// created in it as regular lists with the attributes the refill sends.
/// </summary>
internal sealed class EmbeddedSandbox(
    SandboxOptions sandboxOptions,
    IOptions<PlatformOptions> platformOptions,
    IOptions<ExportOptions> exportOptions,
    IOptions<DataOptions> dataOptions,
    TimeProvider time,
    ILoggerFactory loggers,
    ILogger<EmbeddedSandbox> logger) : IHostedService, IPlatformClientFactory, IAsyncDisposable
{
    /// <summary>Attributes every refilled recipient carries besides the list's own (see the refill stage).</summary>
    internal static readonly string[] TechnicalAttributes = ["description", "media-type", "entity-type", "entity-id"];

    private SandboxPlatform? _platform;
    private PlatformClientFactory? _clients;

    /// <summary>The running sandbox (for tests and the demo seed); null before start.</summary>
    public SandboxPlatform? Platform => _platform;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetFullPath(dataOptions.Value.Folder), "sandbox");
        Directory.CreateDirectory(root);
        var options = Copy(sandboxOptions);
        options.DatabasePath ??= Path.Combine(root, "sandbox.db");
        options.DropFolder ??= Path.Combine(root, "drop");
        foreach (var list in exportOptions.Value.RecipientLists)
        {
            options.RecipientLists.Add(new SandboxListOptions
            {
                Id = list.ListId,
                Name = list.Name,
                IsOptInList = false,
                Attributes = [.. TechnicalAttributes, .. list.Attributes.Keys.Order(StringComparer.Ordinal)],
            });
        }

        _platform = await SandboxPlatform.StartAsync(options, time, loggers, cancellationToken);
        var client = platformOptions.Value;
        _clients = new PlatformClientFactory(Options.Create(new PlatformOptions
        {
            Endpoint = _platform.Endpoint.ToString(),
            MandatorId = options.MandatorId,
            User = options.User,
            Password = options.Password,
            SessionLifetime = client.SessionLifetime,
            MaxConcurrency = client.MaxConcurrency,
            CallBudget = client.CallBudget,
            Timeout = client.Timeout,
            MaxReceivedMessageSize = client.MaxReceivedMessageSize,
            Retry = client.Retry,
        }), time, loggers);
        Log.EmbeddedSandboxStarted(logger, _platform.Endpoint);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IPlatformClient Create() =>
        (_clients ?? throw new InvalidOperationException("The embedded sandbox platform has not been started.")).Create();

    public async ValueTask DisposeAsync()
    {
        _clients?.Dispose();
        if (_platform is not null)
        {
            await _platform.DisposeAsync();
        }
    }

    private static SandboxOptions Copy(SandboxOptions source) => new()
    {
        Embedded = source.Embedded,
        MandatorId = source.MandatorId,
        User = source.User,
        Password = source.Password,
        DatabasePath = source.DatabasePath,
        DropFolder = source.DropFolder,
        SessionLifetime = source.SessionLifetime,
        SessionLifetimeCalls = source.SessionLifetimeCalls,
        FaultRate = source.FaultRate,
        FaultKinds = source.FaultKinds,
        DroppedConnectionRate = source.DroppedConnectionRate,
        FaultSeed = source.FaultSeed,
        Latency = source.Latency,
        HardBounceThreshold = source.HardBounceThreshold,
        SoftBounceThreshold = source.SoftBounceThreshold,
        ListBasedUnsubscribes = source.ListBasedUnsubscribes,
        AutoCreateLists = source.AutoCreateLists,
        MaxRequestBytes = source.MaxRequestBytes,
        RecipientLists = [.. source.RecipientLists],
        BlocklistEntries = [.. source.BlocklistEntries],
    };
}

internal static partial class Log
{
    [LoggerMessage(EventId = 9001, EventName = "EmbeddedSandboxStarted", Level = LogLevel.Information,
        Message = "Sandbox:Embedded is on: the platform is the in-process sandbox at {Endpoint}, not Platform:Endpoint")]
    public static partial void EmbeddedSandboxStarted(ILogger logger, Uri endpoint);
}
