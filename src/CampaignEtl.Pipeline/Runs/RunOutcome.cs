using CampaignEtl.Pipeline.Journal;

namespace CampaignEtl.Pipeline.Runs;

public sealed record StageOutcome(StageName Stage, int Attempt, StageStatus Status, StageCounts Counts, TimeSpan Duration, string? Error);

public sealed record RunOutcome(RunIdentity Run, bool DryRun, IReadOnlyList<StageOutcome> Stages)
{
    public bool Succeeded => Stages.All(s => s.Status == StageStatus.Succeeded);
}
