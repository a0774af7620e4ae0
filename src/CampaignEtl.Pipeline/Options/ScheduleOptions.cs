namespace CampaignEtl.Pipeline.Options;

/// <summary>When the <c>worker</c> verb runs the nightly job.</summary>
public sealed class ScheduleOptions
{
    public const string Section = "Schedule";

    /// <summary>Five-field cron expression. Default <c>0 1 * * *</c>: 1 am, the seeds' nightly batch time.</summary>
    public string Cron { get; set; } = "0 1 * * *";

    /// <summary>Time zone the cron expression is read in. Default UTC.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>At start, run at once when the last scheduled time passed without a run. Default true.</summary>
    public bool CatchUpMissedRun { get; set; } = true;
}
