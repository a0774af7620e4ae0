using CampaignEtl.Pipeline.Journal;

namespace CampaignEtl.Pipeline.Runs;

public sealed record StageOutcome(StageName Stage, int Attempt, StageStatus Status, StageCounts Counts, TimeSpan Duration, string? Error)
{
    /// <summary>The operator overrides recorded on this attempt (e.g. <c>--allow-shrink</c>), or null.</summary>
    public string? Overrides { get; init; }
}

public sealed record RunOutcome(RunIdentity Run, bool DryRun, IReadOnlyList<StageOutcome> Stages)
{
    public bool Succeeded => Stages.All(s => s.Status == StageStatus.Succeeded);
}
