namespace CampaignEtl.Pipeline.Runs;

public enum RunTrigger
{
    Manual,
    Schedule,
    CatchUp,
}

public static class RunTriggerText
{
    public static string ToText(this RunTrigger trigger) => trigger switch
    {
        RunTrigger.Manual => "manual",
        RunTrigger.Schedule => "schedule",
        RunTrigger.CatchUp => "catch-up",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null),
    };
}
