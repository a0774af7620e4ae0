namespace CampaignEtl.Pipeline.Options;

public sealed class ArchiveOptions
{
    public const string Section = "Archive";

    /// <summary>Runs whose business date is older than this many days are purged at the start of a run; 0 keeps everything. Default 400.</summary>
    public int RetentionDays { get; set; } = 400;
}
