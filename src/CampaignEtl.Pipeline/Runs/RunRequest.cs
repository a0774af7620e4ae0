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
    RunTrigger Trigger)
{
    /// <summary>Safety checks the operator chose to override; recorded in the journal on the attempts they affect.</summary>
    public RunOverrides Overrides { get; init; } = RunOverrides.None;
}

/// <summary>
/// The operator's explicit overrides of the run's safety checks. Each is recorded in the journal's
/// <c>overrides</c> column of the attempts it applies to, so an auditor sees who bypassed what.
/// </summary>
public sealed record RunOverrides(bool AllowShrink, bool WithoutSuppress)
{
    public static RunOverrides None { get; } = new(false, false);

    public const string AllowShrinkFlag = "--allow-shrink";

    public const string WithoutSuppressFlag = "--without-suppress";

    /// <summary>The journal text for an attempt of <paramref name="stage"/>: the flags that apply to it, or null.</summary>
    public string? ForStage(StageName stage) => stage switch
    {
        StageName.Refill when AllowShrink => AllowShrinkFlag,
        StageName.Export when WithoutSuppress => WithoutSuppressFlag,
        _ => null,
    };
}
