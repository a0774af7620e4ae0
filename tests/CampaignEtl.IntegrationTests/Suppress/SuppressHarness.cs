using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Pipeline.Suppress;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.IntegrationTests.Suppress;

/// <summary>A generated CRM, the sandbox platform on real HTTP, and the suppress stage run through the real runner.</summary>
internal sealed class SuppressHarness : IAsyncDisposable
{
    public const long NewsletterDe = 1001;

    private readonly PlatformClientFactory _factory;

    private SuppressHarness(TestWorkspace workspace, SandboxPlatform sandbox, FakeTimeProvider sandboxTime)
    {
        Workspace = workspace;
        Sandbox = sandbox;
        SandboxTime = sandboxTime;
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

    public TestWorkspace Workspace { get; }

    public SandboxPlatform Sandbox { get; }

    public FakeTimeProvider SandboxTime { get; }

    public SuppressOptions Options { get; } = new();

    /// <summary>The file drop for Source = drop without Suppress:DropFolder (null: none configured).</summary>
    public IFileDrop? FileDrop { get; set; }

    public static async Task<SuppressHarness> StartAsync(int contacts, CancellationToken ct)
    {
        var workspace = new TestWorkspace(contacts);
        var sandboxTime = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var sandbox = await SandboxPlatform.StartAsync(
            new SandboxOptions { RecipientLists = { new SandboxListOptions { Id = NewsletterDe, Name = "Newsletter DE", Attributes = { "firstname" } } } },
            sandboxTime, null, ct);
        return new SuppressHarness(workspace, sandbox, sandboxTime);
    }

    public SuppressStage Stage() => new(
        MsOptions.Create(Options),
        MsOptions.Create(new ExportOptions { RecipientLists = Workspace.Lists }),
        MsOptions.Create(new RunOptions { MaxRejectRate = Workspace.MaxRejectRate }),
        MsOptions.Create(Workspace.Data),
        Workspace.Crm,
        _factory,
        Workspace.Time,
        NullLogger<SuppressStage>.Instance,
        FileDrop);

    /// <summary>Runs suppress as the runner does; the sandbox clock first moves on, so what was recorded is inside the window.</summary>
    public async Task<StageOutcome> RunAsync(bool dryRun = false)
    {
        SandboxTime.Advance(TimeSpan.FromMinutes(10));
        var runner = new PipelineRunner([Stage()], MsOptions.Create(Workspace.Data), MsOptions.Create(new RunOptions { MaxRejectRate = Workspace.MaxRejectRate }),
            MsOptions.Create(new ArchiveOptions()), Workspace.Time, NullLogger<PipelineRunner>.Instance);
        var outcome = await runner.RunAsync(new RunRequest([StageName.Suppress], null, null, dryRun, RunTrigger.Manual), TestContext.Current.CancellationToken);
        RunId = outcome.Run.RunId;
        return outcome.Stages.ShouldHaveSingleItem();
    }

    public string RunId { get; private set; } = string.Empty;

    /// <summary>Contacts not bounced or opted out, whose address no one else has.</summary>
    public async Task<List<(string Id, string Email)>> PeopleAsync(int skip, int take)
    {
        var ids = await Workspace.QueryCrmAsync($"""
            SELECT p.id FROM person p
            WHERE p.entity_type = 'contact' AND p.has_opted_out_of_email = 0 AND p.email_bounced_at IS NULL AND p.email LIKE '_%@_%.__%'
              AND p.email NOT LIKE '% %' AND p.soft_bounce_count = 0 AND (SELECT count(*) FROM person q WHERE q.email_normalized = p.email_normalized) = 1
            ORDER BY p.id LIMIT {take} OFFSET {skip}
            """);
        ids.Count.ShouldBe(take);
        var people = new List<(string, string)>();
        foreach (var id in ids)
        {
            people.Add((id, await ValueAsync($"SELECT email FROM person WHERE id = '{id}'")));
        }

        return people;
    }

    public async Task<string> ValueAsync(string sql) => (await Workspace.QueryCrmAsync(sql)).ShouldHaveSingleItem();

    /// <summary>Everything suppress may change, as text: people, consents, lineage rows.</summary>
    public async Task<string> CrmSnapshotAsync() =>
        string.Join("\n", await Workspace.QueryCrmAsync("""
            SELECT id || '|' || has_opted_out_of_email || '|' || ifnull(opted_out_at, '') || '|' || ifnull(email_bounced_at, '') || '|' || ifnull(email_bounced_reason, '')
                || '|' || soft_bounce_count || '|' || updated_at || '|' || ifnull(lineage_run_id, '') || '|' || ifnull(lineage_file, '') || '|' || ifnull(lineage_line, '')
            FROM person
            UNION ALL SELECT person_id || '|' || opt_in_id || '|' || status || '|' || changed_at || '|' || changed_by FROM consent
            UNION ALL SELECT 'lineage ' || count(*) FROM change_lineage
            ORDER BY 1
            """));

    public List<string[]> Rejects() => ExportFile.Read(ExportFile.Single(Workspace, $"rejects_suppress_{RunId}_*.csv")).Rows;

    public async ValueTask DisposeAsync()
    {
        _factory.Dispose();
        await Sandbox.DisposeAsync();
        Workspace.Dispose();
    }
}
