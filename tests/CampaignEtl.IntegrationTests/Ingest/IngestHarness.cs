using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Ingest;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.IntegrationTests.Ingest;

/// <summary>
/// A generated SQLite CRM, a real local file drop over a temp folder (the sandbox's drop when the sandbox runs), and the
/// ingest stage run through the real runner.
/// </summary>
internal sealed class IngestHarness : IAsyncDisposable
{
    /// <summary>The demo CRM's campaign linked to mailing 9001 (sync mode campaign).</summary>
    public const string LinkedCampaign = "701000000000001";

    public const long NewsletterDe = 1001;

    /// <summary>The three people the files under testdata/ingest name (t1..t3@example.org).</summary>
    public static readonly string[] TestPeople = ["003900000000001", "003900000000002", "003900000000003"];

    private static readonly string TestData = Path.Combine(AppContext.BaseDirectory, "testdata", "ingest");

    private readonly PlatformClientFactory? _factory;

    private IngestHarness(TestWorkspace workspace, SandboxPlatform? sandbox, string dropFolder)
    {
        Workspace = workspace;
        Sandbox = sandbox;
        DropFolder = dropFolder;
        if (sandbox is not null)
        {
            _factory = new PlatformClientFactory(
                MsOptions.Create(new PlatformOptions
                {
                    Endpoint = sandbox.Endpoint.ToString(),
                    MandatorId = 1000,
                    User = "api-user",
                    Password = "sandbox-password",
                    Timeout = TimeSpan.FromSeconds(30),
                    Retry = { BaseDelay = TimeSpan.FromMilliseconds(1) },
                }),
                TimeProvider.System,
                NullLoggerFactory.Instance);
        }

        // Events of the files are of 2026-11-24 and 25; the run is the night after.
        Workspace.Time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 1, 0, 0, TimeSpan.Zero));
    }

    public TestWorkspace Workspace { get; }

    public SandboxPlatform? Sandbox { get; }

    public string DropFolder { get; }

    /// <summary>Set so that tests without the sandbox never ask a platform; the happy path clears it.</summary>
    public IngestOptions Options { get; } = new() { SoftBounceThreshold = 5 };

    public TransferOptions Transfer => new() { Protocol = TransferProtocol.Local, LocalFolder = DropFolder };

    public string RunId { get; private set; } = string.Empty;

    /// <summary>Wraps the real drop (e.g. to stop the run in the middle).</summary>
    public Func<IFileDrop, IFileDrop> WrapDrop { get; set; } = drop => drop;

    public static async Task<IngestHarness> StartAsync(int contacts, bool withSandbox, CancellationToken ct)
    {
        var workspace = new TestWorkspace(contacts);
        SandboxPlatform? sandbox = null;
        string drop;
        if (withSandbox)
        {
            sandbox = await SandboxPlatform.StartAsync(
                new SandboxOptions { RecipientLists = { new SandboxListOptions { Id = NewsletterDe, Name = "Newsletter DE" } } },
                new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero)), null, ct);
            drop = sandbox.DropFolder;
        }
        else
        {
            drop = Path.Combine(workspace.Folder, "drop");
            Directory.CreateDirectory(drop);
        }

        var harness = new IngestHarness(workspace, sandbox, drop);
        foreach (var (id, i) in TestPeople.Select((id, i) => (id, i + 1)))
        {
            await workspace.ExecuteCrmAsync(
                "INSERT INTO person (id, entity_type, last_name, email, created_at, updated_at) VALUES ($id, 'contact', $name, $email, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                ("$id", id), ("$name", "Test " + i), ("$email", $"t{i}@example.org"));
        }

        return harness;
    }

    public IngestStage Stage() => new(
        MsOptions.Create(Options),
        MsOptions.Create(new ExportOptions { RecipientLists = Workspace.Lists }),
        MsOptions.Create(new RunOptions { MaxRejectRate = Workspace.MaxRejectRate }),
        MsOptions.Create(Workspace.Data),
        Workspace.Crm,
        WrapDrop(FileDrops.Create(Transfer, TimeProvider.System, NullLoggerFactory.Instance)),
        (IPlatformClientFactory?)_factory ?? new NoPlatform(),
        Workspace.Time,
        NullLogger<IngestStage>.Instance);

    public async Task<StageOutcome> RunAsync(bool dryRun = false, CancellationToken? cancellationToken = null)
    {
        var runner = new PipelineRunner([Stage()], MsOptions.Create(Workspace.Data), MsOptions.Create(new RunOptions { MaxRejectRate = Workspace.MaxRejectRate }),
            MsOptions.Create(new ArchiveOptions()), Workspace.Time, NullLogger<PipelineRunner>.Instance);
        var outcome = await runner.RunAsync(new RunRequest([StageName.Ingest], null, null, dryRun, RunTrigger.Manual), cancellationToken ?? TestContext.Current.CancellationToken);
        RunId = outcome.Run.RunId;
        return outcome.Stages.ShouldHaveSingleItem();
    }

    /// <summary>Puts testdata/ingest/&lt;scenario&gt;.csv on the drop under <paramref name="name"/>.</summary>
    public string Drop(string scenario, string name)
    {
        var target = Path.Combine(DropFolder, name);
        File.Copy(Path.Combine(TestData, scenario + ".csv"), target, overwrite: true);
        return target;
    }

    public static byte[] TestFile(string scenario) => File.ReadAllBytes(Path.Combine(TestData, scenario + ".csv"));

    public List<string[]> Rejects() => ExportFile.Read(ExportFile.Single(Workspace, $"rejects_ingest_{RunId}_*.csv")).Rows;

    public async Task<string> ValueAsync(string sql) => (await Workspace.QueryCrmAsync(sql)).ShouldHaveSingleItem();

    /// <summary>What ingest may change, as text: people, consents, members, statuses, tasks, notes, totals, ledgers.</summary>
    public async Task<string> CrmSnapshotAsync() =>
        string.Join("\n", await Workspace.QueryCrmAsync("""
            SELECT id || '|' || has_opted_out_of_email || '|' || ifnull(email_bounced_at, '') || '|' || soft_bounce_count || '|' || updated_at FROM person
            UNION ALL SELECT person_id || '|' || opt_in_id || '|' || status || '|' || changed_at FROM consent
            UNION ALL SELECT campaign_id || '|' || person_id || '|' || status || '|' || updated_at FROM campaign_member
            UNION ALL SELECT campaign_id || '|' || label FROM campaign_member_status
            UNION ALL SELECT id || '|' || number_sent || '|' || number_opened || '|' || number_clicked || '|' || number_bounced || '|' || number_unsubscribed FROM campaign
            UNION ALL SELECT 'tasks ' || count(*) FROM task
            UNION ALL SELECT 'notes ' || count(*) FROM note
            UNION ALL SELECT 'ingested ' || count(*) FROM ingested_file
            UNION ALL SELECT 'events ' || count(*) FROM response_event_ledger
            UNION ALL SELECT 'lineage ' || count(*) FROM change_lineage
            ORDER BY 1
            """));

    public async ValueTask DisposeAsync()
    {
        _factory?.Dispose();
        if (Sandbox is not null)
        {
            await Sandbox.DisposeAsync();
        }

        Workspace.Dispose();
    }

    private sealed class NoPlatform : IPlatformClientFactory
    {
        public IPlatformClient Create() => throw new InvalidOperationException("this test has no platform: Ingest:SoftBounceThreshold is set");
    }
}
