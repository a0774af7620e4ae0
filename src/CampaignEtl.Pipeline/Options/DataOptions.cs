namespace CampaignEtl.Pipeline.Options;

/// <summary>Where the program writes: one data folder holds the CRM, the journal, the archive and the logs.</summary>
public sealed class DataOptions
{
    public const string Section = "Data";

    /// <summary>The data folder; relative paths are relative to the working directory. Default <c>var</c>.</summary>
    public string Folder { get; set; } = "var";

    /// <summary>The CRM database; default <c>&lt;Folder&gt;/crm.db</c>.</summary>
    public string? CrmDatabase { get; set; }

    /// <summary>How long to wait for a locked SQLite database before failing. Default 10 s.</summary>
    public int BusyTimeoutSeconds { get; set; } = 10;

    public string CrmDatabasePath => Path.GetFullPath(CrmDatabase ?? Path.Combine(Folder, "crm.db"));

    public string JournalPath => Path.GetFullPath(Path.Combine(Folder, "journal.db"));

    public string ArchiveFolder => Path.GetFullPath(Path.Combine(Folder, "archive"));

    public string LogFolder => Path.GetFullPath(Path.Combine(Folder, "logs"));

    /// <summary>Scratch files of a running stage (e.g. the duplicate-address spill), owner-only; emptied at the start of a stage.</summary>
    public string TempFolder => Path.GetFullPath(Path.Combine(Folder, "tmp"));

    public string LockPath => Path.GetFullPath(Path.Combine(Folder, "run.lock"));
}
