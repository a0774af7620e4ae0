namespace CampaignEtl.Pipeline.Runs;

public enum StageStatus
{
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

public static class StageStatusText
{
    public static string ToText(this StageStatus status) => status switch
    {
        StageStatus.Running => "running",
        StageStatus.Succeeded => "succeeded",
        StageStatus.Failed => "failed",
        StageStatus.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static StageStatus Parse(string text) => text switch
    {
        "running" => StageStatus.Running,
        "succeeded" => StageStatus.Succeeded,
        "failed" => StageStatus.Failed,
        "interrupted" => StageStatus.Interrupted,
        _ => throw new ArgumentOutOfRangeException(nameof(text), text, "unknown stage status"),
    };
}
