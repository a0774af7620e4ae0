using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Journal;

namespace CampaignEtl.Pipeline.Runs;

/// <summary>One stage of the nightly run. Each is a unit that can be re-run on its own.</summary>
public interface IStage
{
    StageName Name { get; }

    /// <summary>Checks the configuration against the systems it names (e.g. selections in the CRM); returns every problem.</summary>
    Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken);

    /// <summary>Runs one attempt. Bad rows are counted and archived; a broken attempt throws.</summary>
    Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken);
}

/// <summary>
/// What a stage attempt gets: the run, its attempt number, the archive folder, how it was asked to run,
/// and read access to the journal and the archive (a refill reads the run's archived export files).
/// </summary>
public sealed record StageContext(RunIdentity Run, int Attempt, ArchiveAttempt? Archive, bool DryRun)
{
    public RunOverrides Overrides { get; init; } = RunOverrides.None;

    /// <summary>What the attempt has done so far, kept by the runner even when the attempt fails.</summary>
    public StageProgress Progress { get; init; } = new();

    /// <summary>The run journal (in a dry run: to read only).</summary>
    public RunJournal? Journal { get; init; }

    /// <summary>The archive's root layout, to find files of earlier attempts.</summary>
    public ArchiveLayout? ArchiveRoot { get; init; }

    public RunJournal RequireJournal() => Journal ?? throw new InvalidOperationException("This stage needs the run journal.");

    public ArchiveLayout RequireArchiveRoot() => ArchiveRoot ?? throw new InvalidOperationException("This stage needs the archive layout.");

    /// <summary>The archive folder; absent only in a dry run, which writes nothing.</summary>
    public ArchiveAttempt RequireArchive() => Archive ?? throw new InvalidOperationException("A dry run has no archive.");
}

/// <summary>
/// Facts of an attempt that must reach the journal even when it fails: a failed refill's platform
/// calls were still made, and the platform counts them against the client's limits.
/// </summary>
public sealed class StageProgress
{
    private long _platformCalls;

    public long PlatformCalls => Interlocked.Read(ref _platformCalls);

    public void SetPlatformCalls(long calls) => Interlocked.Exchange(ref _platformCalls, calls);
}
