using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Refill;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Transport;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.IntegrationTests.Refill;

/// <summary>
/// A real CRM, journal and archive (<see cref="TestWorkspace"/>), the sandbox platform on real HTTP, and a
/// runner with the real export and refill stages: export archives the files, refill uploads them.
/// </summary>
internal sealed class RefillHarness : IAsyncDisposable
{
    private static readonly string[] Technical = ["description", "media-type", "entity-type", "entity-id"];

    private RefillHarness(TestWorkspace workspace, SandboxPlatform sandbox, PlatformOptions platformOptions)
    {
        Workspace = workspace;
        Sandbox = sandbox;
        PlatformOptions = platformOptions;
        Factory = new SandboxClientFactory(platformOptions);
    }

    public TestWorkspace Workspace { get; }

    public SandboxPlatform Sandbox { get; }

    public PlatformOptions PlatformOptions { get; }

    public SandboxClientFactory Factory { get; }

    public RefillOptions Refill { get; } = new() { BatchSize = 40 };

    public static RecipientListOptions Newsletter => TestWorkspace.NewsletterDe();

    public static async Task<RefillHarness> StartAsync(SandboxOptions? sandboxOptions = null, int contacts = 400, CancellationToken ct = default)
    {
        var workspace = new TestWorkspace(contacts);
        var sandbox = await SandboxPlatform.StartAsync(sandboxOptions ?? new SandboxOptions(), TimeProvider.System, null, ct);
        foreach (var list in workspace.Lists)
        {
            await sandbox.State.CreateRecipientListAsync(list.ListId, list.Name, [.. Technical, .. list.Attributes.Keys], isOptInList: false, ct);
        }

        var platformOptions = new PlatformOptions
        {
            Endpoint = sandbox.Endpoint.ToString(),
            MandatorId = 1000,
            User = "api-user",
            Password = "sandbox-password",
            MaxConcurrency = 4,
            Timeout = TimeSpan.FromSeconds(30),
            Retry = { BaseDelay = TimeSpan.FromMilliseconds(1) },
        };
        return new RefillHarness(workspace, sandbox, platformOptions);
    }

    public RefillStage Stage() =>
        new(MsOptions.Create(Refill), MsOptions.Create(new ExportOptions { RecipientLists = Workspace.Lists }),
            MsOptions.Create(new RunOptions { MaxRejectRate = Workspace.MaxRejectRate }), MsOptions.Create(PlatformOptions),
            Workspace.Crm, Factory, Workspace.Time, NullLogger<RefillStage>.Instance);

    public PipelineRunner Runner() =>
        new([Workspace.Stage(), Stage()], MsOptions.Create(Workspace.Data), MsOptions.Create(new RunOptions { MaxRejectRate = Workspace.MaxRejectRate }),
            MsOptions.Create(new ArchiveOptions()), Workspace.Time, NullLogger<PipelineRunner>.Instance);

    /// <summary>A new run of export and refill (no suppress stage in these tests).</summary>
    public Task<RunOutcome> RunExportAndRefillAsync(CancellationToken ct) =>
        Runner().RunAsync(new RunRequest([StageName.Export, StageName.Refill], null, null, false, RunTrigger.Manual) { Overrides = new RunOverrides(false, WithoutSuppress: true) }, ct);

    public Task<RunOutcome> RunExportAsync(CancellationToken ct) =>
        Runner().RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual) { Overrides = new RunOverrides(false, WithoutSuppress: true) }, ct);

    /// <summary>Refill alone, as a new attempt of an existing run.</summary>
    public Task<RunOutcome> RerunRefillAsync(string runId, CancellationToken ct, bool allowShrink = false, bool dryRun = false) =>
        Runner().RunAsync(new RunRequest([StageName.Refill], null, runId, dryRun, RunTrigger.Manual) { Overrides = new RunOverrides(allowShrink, false) }, ct);

    public async Task<List<string>> ListMembersAsync(long listId) =>
        [.. (await Sandbox.State.GetListMembersAsync(listId, CancellationToken.None)).Select(r => r.RecipientId)];

    /// <summary>The archived export file of a list in a run's attempt (rows: recipient id first, email second).</summary>
    public (string[] Header, List<string[]> Rows) ExportOf(string runId, int attempt, RecipientListOptions list) =>
        ExportFile.Read(Workspace.ArchivedFiles($"export_{list.Name}_*{runId}_attempt-{attempt}.csv").ShouldHaveSingleItem());

    public List<string[]> ResultsOf(string runId, int attempt, RecipientListOptions list) =>
        ExportFile.Read(Workspace.ArchivedFiles($"refill-results_{list.Name}_*{runId}_attempt-{attempt}.csv").ShouldHaveSingleItem()).Rows;

    public async ValueTask DisposeAsync()
    {
        Factory.Dispose();
        await Sandbox.DisposeAsync();
        Workspace.Dispose();
    }

}

/// <summary>Creates real clients over one WCF transport; <see cref="Wrap"/> lets a test put a decorator around each.</summary>
internal sealed class SandboxClientFactory(PlatformOptions options) : IPlatformClientFactory, IDisposable
{
    private readonly WcfSoapTransport _transport = new(options);

    public Func<IPlatformClient, IPlatformClient>? Wrap { get; set; }

    public int Created { get; private set; }

    public IPlatformClient Create()
    {
        Created++;
        IPlatformClient client = new PlatformClient(_transport, options, TimeProvider.System);
        return Wrap?.Invoke(client) ?? client;
    }

    public void Dispose() => _transport.Dispose();
}

/// <summary>Stops the run (cancels its token) once a number of addAll3Flat calls have been answered: a refill killed in the middle.</summary>
internal sealed class StopAfterCalls(IPlatformClient inner, int calls, CancellationTokenSource stop) : IPlatformClient, IRecipientService
{
    private int _made;

    public IRecipientService Recipients => this;

    public IUnsubscribeService Unsubscribes => inner.Unsubscribes;

    public IBlacklistService Blacklist => inner.Blacklist;

    public IClosedLoopService ClosedLoop => inner.ClosedLoop;

    public IResponseService Responses => inner.Responses;

    public PlatformCallCounter Calls => inner.Calls;

    public Task LogoutAsync(CancellationToken cancellationToken = default) => inner.LogoutAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    public Task ClearAsync(long recipientListId, CancellationToken cancellationToken = default) => inner.Recipients.ClearAsync(recipientListId, cancellationToken);

    public Task<IReadOnlyList<RecipientResultCode>> AddAll3Async(long recipientListId, long optinProcessId, IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames, IReadOnlyList<IReadOnlyList<string?>> attributeValues, CancellationToken cancellationToken = default) =>
        inner.Recipients.AddAll3Async(recipientListId, optinProcessId, recipientIds, emailAddresses, attributeNames, attributeValues, cancellationToken);

    public async Task<IReadOnlyList<RecipientResultCode>> AddAll3FlatAsync(long recipientListId, long optinProcessId, IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames, IReadOnlyList<string?> flatAttributeValues, CancellationToken cancellationToken = default)
    {
        var codes = await inner.Recipients.AddAll3FlatAsync(recipientListId, optinProcessId, recipientIds, emailAddresses, attributeNames, flatAttributeValues, cancellationToken);
        if (Interlocked.Increment(ref _made) == calls)
        {
            await stop.CancelAsync();
        }

        return codes;
    }

    public Task<int> GetCountAsync(long recipientListId, long recipientFilterId = 0, CancellationToken cancellationToken = default) =>
        inner.Recipients.GetCountAsync(recipientListId, recipientFilterId, cancellationToken);

    public Task<IReadOnlyList<string?>> GetAllAdvancedFlatAsync(long recipientListId, IReadOnlyList<string> attributeNames, long recipientFilterId, string? orderByAttribute, bool ascending, int pageStart, int pageSize, CancellationToken cancellationToken = default) =>
        inner.Recipients.GetAllAdvancedFlatAsync(recipientListId, attributeNames, recipientFilterId, orderByAttribute, ascending, pageStart, pageSize, cancellationToken);

    public Task<IReadOnlyList<bool>> RemoveAllAsync(long recipientListId, IReadOnlyList<string> recipientIds, CancellationToken cancellationToken = default) =>
        inner.Recipients.RemoveAllAsync(recipientListId, recipientIds, cancellationToken);
}
