using System.Diagnostics;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.Commands.BenchJob;

/// <summary>
/// A real stage, measured as the runner runs it: its own wall time and peak resident memory (reset through
/// /proc/self/clear_refs just before it starts). What the bench does before it (writing the response file the
/// ingest reads, a full GC so one stage's garbage is not the next one's peak) is timed apart, so the job's
/// time can leave it out.
/// </summary>
internal sealed class MeasuredStage(IStage inner, Func<StageContext, CancellationToken, Task>? prepare = null) : IStage
{
    public StageName Name => inner.Name;

    /// <summary>The stage's own wall time, null until it ran.</summary>
    public TimeSpan? Duration { get; private set; }

    /// <summary>Peak resident memory in MB while the stage ran.</summary>
    public double PeakMb { get; private set; }

    /// <summary>Time the bench spent before the stage (preparing its input, collecting garbage): not the job's.</summary>
    public TimeSpan BenchTime { get; private set; }

    public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) => inner.ValidateAsync(cancellationToken);

    public async Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        var bench = Stopwatch.StartNew();
        if (prepare is not null)
        {
            await prepare(context, cancellationToken);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        BenchCommand.ResetPeak();
        BenchTime = bench.Elapsed;
        var watch = Stopwatch.StartNew();
        try
        {
            return await inner.RunAsync(context, cancellationToken);
        }
        finally
        {
            Duration = watch.Elapsed;
            PeakMb = BenchCommand.PeakMb();
        }
    }
}
