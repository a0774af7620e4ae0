using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.IntegrationTests.Runs;

/// <summary>
/// Suppress before export, over the real journal: export refuses to start when the run's suppress has
/// not succeeded, and the operator's override is recorded on the attempt it affected.
/// </summary>
public sealed class StageOrderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero));
    private readonly RecordingStage _suppress = new(StageName.Suppress);
    private readonly RecordingStage _export = new(StageName.Export);
    private readonly RecordingStage _refill = new(StageName.Refill);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_FromExportInANewRun_RefusesBeforeCreatingTheRun()
    {
        var error = await Should.ThrowAsync<StageOrderException>(() => Runner().RunAsync(RequestFrom(StageName.Export), CancellationToken.None));

        error.Message.ShouldContain("suppress has not succeeded");
        error.Message.ShouldContain(RunOverrides.WithoutSuppressFlag);
        _export.Runs.ShouldBe(0);
        (await Journal().ListRunsAsync(10, CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunAsync_SuppressFails_ExportDoesNotRun()
    {
        _suppress.Fail = true;

        var outcome = await Runner().RunAsync(Request(), CancellationToken.None);

        outcome.Succeeded.ShouldBeFalse();
        _export.Runs.ShouldBe(0);
    }

    [Fact]
    public async Task RunAsync_ExportAloneAfterAFailedSuppress_RefusedUntilSuppressSucceeds()
    {
        _suppress.Fail = true;
        var first = await Runner().RunAsync(Request(), CancellationToken.None);
        var runId = first.Run.RunId;

        await Should.ThrowAsync<StageOrderException>(() => Runner().RunAsync(Request(StageName.Export) with { RunId = runId }, CancellationToken.None));
        _export.Runs.ShouldBe(0);

        _suppress.Fail = false;
        (await Runner().RunAsync(Request(StageName.Suppress) with { RunId = runId }, CancellationToken.None)).Succeeded.ShouldBeTrue();
        (await Runner().RunAsync(Request(StageName.Export) with { RunId = runId }, CancellationToken.None)).Succeeded.ShouldBeTrue();

        _export.Runs.ShouldBe(1);
        var exportAttempt = (await Journal().ListAttemptsAsync(runId, CancellationToken.None)).Single(a => a.Stage == StageName.Export);
        exportAttempt.Overrides.ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_WithoutSuppressOverride_ExportsAndRecordsTheOverrideOnTheExportAttemptOnly()
    {
        var request = RequestFrom(StageName.Export) with { Overrides = new RunOverrides(AllowShrink: false, WithoutSuppress: true) };

        var outcome = await Runner().RunAsync(request, CancellationToken.None);

        outcome.Succeeded.ShouldBeTrue();
        var attempts = await Journal().ListAttemptsAsync(outcome.Run.RunId, CancellationToken.None);
        attempts.Single(a => a.Stage == StageName.Export).Overrides.ShouldBe(RunOverrides.WithoutSuppressFlag);
        attempts.Single(a => a.Stage == StageName.Refill).Overrides.ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_AllowShrink_RecordedOnTheRefillAttemptAndPassedToTheStage()
    {
        var request = Request() with { Overrides = new RunOverrides(AllowShrink: true, WithoutSuppress: false) };

        var outcome = await Runner().RunAsync(request, CancellationToken.None);

        outcome.Succeeded.ShouldBeTrue();
        _refill.LastOverrides!.AllowShrink.ShouldBeTrue();
        var attempts = await Journal().ListAttemptsAsync(outcome.Run.RunId, CancellationToken.None);
        attempts.Single(a => a.Stage == StageName.Refill).Overrides.ShouldBe(RunOverrides.AllowShrinkFlag);
        attempts.Single(a => a.Stage == StageName.Suppress).Overrides.ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_StageFailsAfterPlatformCalls_TheCallsReachTheJournal()
    {
        _suppress.Fail = true;
        _suppress.PlatformCallsBeforeFailing = 7;

        var outcome = await Runner().RunAsync(Request(StageName.Suppress), CancellationToken.None);

        outcome.Stages.Single().Status.ShouldBe(StageStatus.Failed);
        outcome.Stages.Single().Counts.PlatformCalls.ShouldBe(7);
        (await Journal().ListAttemptsAsync(outcome.Run.RunId, CancellationToken.None)).Single().PlatformCalls.ShouldBe(7);
    }

    [Fact]
    public async Task RunAsync_DryRunOfExportWithoutSuppress_RunsAndWritesNothing()
    {
        var outcome = await Runner().RunAsync(Request(StageName.Export) with { DryRun = true }, CancellationToken.None);

        outcome.Succeeded.ShouldBeTrue();
        _export.Runs.ShouldBe(1);
        (await Journal().ListRunsAsync(10, CancellationToken.None)).ShouldBeEmpty();
    }

    private static RunRequest Request(params StageName[] stages) => new(stages, null, null, false, RunTrigger.Manual);

    private static RunRequest RequestFrom(StageName from) => new([], from, null, false, RunTrigger.Manual);

    private PipelineRunner Runner() =>
        new([_suppress, _export, _refill], MsOptions.Create(new DataOptions { Folder = _folder }), MsOptions.Create(new RunOptions()),
            MsOptions.Create(new ArchiveOptions()), _time, NullLogger<PipelineRunner>.Instance);

    private RunJournal Journal() => RunJournal.OpenAsync(new DataOptions { Folder = _folder }.JournalPath, CancellationToken.None).GetAwaiter().GetResult();

    private sealed class RecordingStage(StageName name) : IStage
    {
        public StageName Name => name;

        public bool Fail { get; set; }

        public int Runs { get; private set; }

        public RunOverrides? LastOverrides { get; private set; }

        public long PlatformCallsBeforeFailing { get; set; }

        public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

        public Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
        {
            Runs++;
            LastOverrides = context.Overrides;
            context.Progress.SetPlatformCalls(PlatformCallsBeforeFailing);
            return Fail ? throw new StageFailedException(name.ToText() + " failed on purpose") : Task.FromResult(new StageCounts());
        }
    }
}
