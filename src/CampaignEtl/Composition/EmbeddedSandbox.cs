using System.Globalization;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Refill;
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
    IOptions<SandboxOptions> sandbox,
    IOptions<PlatformOptions> platformOptions,
    IOptions<ExportOptions> exportOptions,
    IOptions<DataOptions> dataOptions,
    TimeProvider time,
    ILoggerFactory loggers,
    ILogger<EmbeddedSandbox> logger) : IHostedService, IPlatformClientFactory, IAsyncDisposable
{
    private SandboxPlatform? _platform;
    private string? _startFailure;
    private PlatformClientFactory? _clients;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StartPlatformAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            // Not a crash of the host, and not logged loudly: the run reports its data folder problem, or this
            // reason in the error of the first stage that needs the platform, in one line.
            _startFailure = ex.Message;
            Log.EmbeddedSandboxFailed(logger, ex.Message);
        }
    }

    /// <summary>The embedded sandbox's drop folder: <c>Sandbox:DropFolder</c>, else <c>&lt;Data:Folder&gt;/sandbox/drop</c>.</summary>
    public static string DropFolderOf(SandboxOptions sandbox, DataOptions data)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(data);
        return sandbox.DropFolder ?? Path.Combine(Path.GetFullPath(data.Folder), "sandbox", "drop");
    }

    private async Task StartPlatformAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetFullPath(dataOptions.Value.Folder), "sandbox");
        Directory.CreateDirectory(root);
        var options = Copy(sandbox.Value);
        options.DatabasePath ??= Path.Combine(root, "sandbox.db");
        options.DropFolder = DropFolderOf(options, dataOptions.Value);
        foreach (var list in exportOptions.Value.RecipientLists)
        {
            options.RecipientLists.Add(new SandboxListOptions
            {
                Id = list.ListId,
                Name = list.Name,
                IsOptInList = false,
                // What the refill sends: the technical fields after recipient id, email and opt-in id, then the list's own.
                Attributes = [.. ExportColumns.Technical[RefillColumns.FirstAttribute..], .. list.Attributes.Keys.Order(StringComparer.Ordinal)],
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

    /// <summary>
    /// A fresh demo platform for a fresh demo CRM: the old sandbox state is deleted, and some people of
    /// the first recipient list's opt-in get what a night on the real platform brings: unsubscribes
    /// (client-wide and from the list), addresses over the bounce limit, blocklisted addresses. The
    /// first run's suppress imports the first two; the refill feeds the blocklist back.
    /// </summary>
    public async Task<DemoPlatformSummary> SeedDemoAsync(CrmDatabase crm, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetFullPath(dataOptions.Value.Folder), "sandbox");
        var databasePath = sandbox.Value.DatabasePath ?? Path.Combine(root, "sandbox.db");
        foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" }.Where(File.Exists))
        {
            File.Delete(file);
        }

        await StartPlatformAsync(cancellationToken);
        var state = _platform!.State;
        var list = exportOptions.Value.RecipientLists.FirstOrDefault();
        var people = list?.OptInId is { } optIn ? await ConsentedPeopleAsync(crm, optIn, 12, cancellationToken) : [];
        var unsubscribes = 0;
        var outbounces = 0;
        var blocklisted = 0;
        for (var i = 0; i < people.Count; i++)
        {
            var (id, email) = people[i];
            switch (i % 6)
            {
                case 0 or 1:
                    await state.AddUnsubscribeAsync(id, null, cancellationToken);
                    unsubscribes++;
                    break;
                case 2:
                    await state.AddUnsubscribeAsync(id, list!.ListId, cancellationToken);
                    unsubscribes++;
                    break;
                case 3:
                    await state.SetBounceCountAsync(email, BounceCategory.Hard, sandbox.Value.HardBounceThreshold, cancellationToken);
                    outbounces++;
                    break;
                default:
                    await state.AddBlocklistEntryAsync(email, "demo: spam complaint", cancellationToken);
                    blocklisted++;
                    break;
            }
        }

        var mailings = list is null ? [] : await SimulateDemoMailingsAsync(state, crm, list, people.Count, cancellationToken);
        return new DemoPlatformSummary(databasePath, unsubscribes, outbounces, blocklisted, mailings);
    }

    /// <summary>
    /// Yesterday's mailings of the demo campaigns linked to platform mailings (9001, 9002): the list as it was
    /// when they went out holds the next consented people, and each mailing writes its response export into
    /// the drop, so the first run's ingest has opens, clicks and bounces to bring back. Response files of an
    /// earlier demo are removed first: the fresh CRM's ledger would take them for new.
    /// </summary>
    private async Task<IReadOnlyList<MailingSimulationResult>> SimulateDemoMailingsAsync(
        SandboxState state, CrmDatabase crm, RecipientListOptions list, int skip, CancellationToken cancellationToken)
    {
        foreach (var old in Directory.EnumerateFiles(_platform!.DropFolder, "responses_*.csv"))
        {
            File.Delete(old);
        }

        var audience = list.OptInId is { } optIn ? await ConsentedPeopleAsync(crm, optIn, skip + 80, cancellationToken) : [];
        var recipients = audience.Skip(skip)
            .Select(p => new SandboxRecipient(p.Id, p.Email, new Dictionary<string, string?>(StringComparer.Ordinal)))
            .ToList();
        if (recipients.Count == 0)
        {
            return [];
        }

        await state.AddRecipientsAsync(list.ListId, recipients, cancellationToken);
        var yesterday = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-1);
        var results = new List<MailingSimulationResult>();
        foreach (var (mailingId, seed) in new (long, int)[] { (9001, 1), (9002, 2) })
        {
            results.Add(await _platform.SimulateMailingAsync(mailingId, list.ListId, seed, yesterday, null, cancellationToken));
        }

        return results;
    }

    private static async Task<List<(string Id, string Email)>> ConsentedPeopleAsync(CrmDatabase crm, long optInId, int count, CancellationToken cancellationToken)
    {
        await using var connection = await crm.OpenAsync(readOnly: true, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, email FROM person
            WHERE entity_type = 'contact' AND instr(opt_ins_granted, $optIn) > 0 AND has_opted_out_of_email = 0
              AND email_bounced_at IS NULL AND email LIKE '%_@_%._%'
            ORDER BY id LIMIT $count
            """;
        command.Parameters.AddWithValue("$optIn", string.Create(CultureInfo.InvariantCulture, $",{optInId},"));
        command.Parameters.AddWithValue("$count", count);
        var people = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            people.Add((reader.GetString(0), reader.GetString(1)));
        }

        return people;
    }

    public IPlatformClient Create() =>
        (_clients ?? throw PlatformException.Unavailable(
            "the embedded sandbox platform (Sandbox:Embedded) did not start" + (_startFailure is null ? string.Empty : ": " + _startFailure))).Create();

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

/// <summary>What <c>demo seed</c> put on the embedded platform.</summary>
internal sealed record DemoPlatformSummary(string DatabasePath, int Unsubscribes, int Outbounces, int Blocklisted, IReadOnlyList<MailingSimulationResult> Mailings);

internal static partial class Log
{
    [LoggerMessage(EventId = 9001, EventName = "EmbeddedSandboxStarted", Level = LogLevel.Information,
        Message = "Sandbox:Embedded is on: the platform is the in-process sandbox at {Endpoint}, not Platform:Endpoint")]
    public static partial void EmbeddedSandboxStarted(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 9002, EventName = "EmbeddedSandboxFailed", Level = LogLevel.Debug,
        Message = "Sandbox:Embedded is on but the sandbox platform did not start: {Reason}; stages that call the platform will fail")]
    public static partial void EmbeddedSandboxFailed(ILogger logger, string reason);
}
