namespace CampaignEtl.Pipeline.Options;

/// <summary>How a run is dated and judged.</summary>
public sealed class RunOptions
{
    public const string Section = "Run";

    /// <summary>IANA or Windows time zone id; the business date of a run is its start date there. Default UTC.</summary>
    public string BusinessTimeZone { get; set; } = "UTC";

    /// <summary>Rejected rows above this share of rows read fail the stage (0 to 1). Default 0.05.</summary>
    public double MaxRejectRate { get; set; } = 0.05;
}
