namespace CampaignEtl.Pipeline.Runs;

/// <summary>
/// What the operator asked for: a new run of every stage, or of some (<see cref="Stages"/>,
/// <see cref="From"/>), or a re-run of stages of an existing run (<see cref="RunId"/>).
/// </summary>
public sealed record RunRequest(
    IReadOnlyList<StageName> Stages,
    StageName? From,
    string? RunId,
    bool DryRun,
    RunTrigger Trigger);
