using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CampaignEtl.Tests.Runs;

public sealed class PipelineRunnerTests
{
    [Fact]
    public void ResolveStages_NothingNamed_RunsTheStagesThatExistInOrder() =>
        Runner(StageName.Ingest, StageName.Export).ResolveStages(Request()).ShouldBe([StageName.Export, StageName.Ingest]);

    [Fact]
    public void ResolveStages_From_RunsThatStageAndLaterOnes() =>
        Runner(StageName.Suppress, StageName.Export, StageName.Refill).ResolveStages(RequestFrom(StageName.Export)).ShouldBe([StageName.Export, StageName.Refill]);

    [Fact]
    public void ResolveStages_NamedStageMissingInThisVersion_IsAUsageError()
    {
        var error = Should.Throw<ConfigurationProblemsException>(() => Runner(StageName.Export).ResolveStages(Request(StageName.Refill)));
        error.Problems.ShouldBe(["--stage refill: this version has no 'refill' stage yet; available: export"]);
    }

    [Fact]
    public void ResolveStages_FromAfterTheLastStageOfThisVersion_IsAUsageError()
    {
        var error = Should.Throw<ConfigurationProblemsException>(() => Runner(StageName.Export).ResolveStages(RequestFrom(StageName.Refill)));
        error.Problems.ShouldBe(["--from refill: this version has no stage from 'refill' on; available: export"]);
    }

    [Fact]
    public void ResolveStages_NamedOutOfOrder_RunsInPipelineOrder() =>
        Runner(StageName.Suppress, StageName.Export).ResolveStages(Request(StageName.Export, StageName.Suppress)).ShouldBe([StageName.Suppress, StageName.Export]);

    private static RunRequest Request(params StageName[] stages) => new(stages, null, null, false, RunTrigger.Manual);

    private static RunRequest RequestFrom(StageName from) => new([], from, null, false, RunTrigger.Manual);

    private static PipelineRunner Runner(params StageName[] stages) =>
        new(stages.Select(s => (IStage)new NamedStage(s)), MsOptions.Create(new DataOptions()), MsOptions.Create(new RunOptions()),
            MsOptions.Create(new ArchiveOptions()), new FakeTimeProvider(), NullLogger<PipelineRunner>.Instance);

    private sealed class NamedStage(StageName name) : IStage
    {
        public StageName Name => name;

        public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

        public Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken) => Task.FromResult(new StageCounts());
    }
}
