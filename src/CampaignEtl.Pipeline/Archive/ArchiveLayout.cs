using System.Globalization;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.Pipeline.Archive;

/// <summary>
/// Where things live in the archive: <c>YYYY/MM/DD/&lt;run-id&gt;/&lt;stage&gt;/attempt-N/&lt;file&gt;</c> by business
/// date, and retention purge records under <c>purges/</c>. Relative paths always use '/'.
/// </summary>
public sealed class ArchiveLayout(string root)
{
    public const string ManifestName = "manifest.json";
    public const string PurgeFolder = "purges";

    public string Root { get; } = Path.GetFullPath(root);

    public static string RunFolder(DateOnly businessDate, string runId) =>
        string.Create(CultureInfo.InvariantCulture, $"{businessDate:yyyy}/{businessDate:MM}/{businessDate:dd}/{runId}");

    public static string AttemptFolder(DateOnly businessDate, string runId, StageName stage, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{RunFolder(businessDate, runId)}/{stage.ToText()}/attempt-{attempt}");

    public string ToFullPath(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    public string ToRelativePath(string fullPath) => Path.GetRelativePath(Root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>Folders are 0700 on Unix, every level from the archive root down: the archive holds personal data.</summary>
    public void EnsureFolder(string relativePath)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(ToFullPath(relativePath));
            return;
        }

        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var current = Root;
        if (!Directory.Exists(current))
        {
            Directory.CreateDirectory(current, OwnerOnly);
        }

        foreach (var segment in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, segment);
            if (!Directory.Exists(current))
            {
                Directory.CreateDirectory(current, OwnerOnly);
            }
        }
    }
}
