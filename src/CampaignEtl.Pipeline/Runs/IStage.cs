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

/// <summary>What a stage attempt gets: the run, its attempt number, the archive folder, and how it was asked to run.</summary>
public sealed record StageContext(RunIdentity Run, int Attempt, ArchiveAttempt? Archive, bool DryRun)
{
    /// <summary>The archive folder; absent only in a dry run, which writes nothing.</summary>
    public ArchiveAttempt RequireArchive() => Archive ?? throw new InvalidOperationException("A dry run has no archive.");
}
