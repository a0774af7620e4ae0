namespace CampaignEtl.Cli;

/// <summary>The process exit codes; documented in the README.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A stage failed or was interrupted; the run can be resumed by re-running the stage.</summary>
    public const int StageFailed = 1;

    /// <summary>Bad command line or configuration; nothing was run.</summary>
    public const int Usage = 2;

    /// <summary>Another run holds the lock; nothing was run.</summary>
    public const int Locked = 3;

    /// <summary><c>audit verify</c> found archived files or manifests changed, removed or added.</summary>
    public const int AuditFindings = 4;

    /// <summary>A stage was refused because an earlier stage of its run has not succeeded (export before suppress); nothing was run.</summary>
    public const int OrderRefused = 5;
}
