using System.Globalization;
using System.Text.RegularExpressions;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// The platform's scheduled export files in a folder (the file drop; a local folder until the SFTP
/// transport arrives): <c>&lt;prefix&gt;_&lt;yyyyMMdd&gt;_&lt;seq&gt;.csv</c>, the newest by date, then sequence number.
/// </summary>
internal sealed partial class DropFolderFiles(string folder)
{
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The newest file of the kind, or null when there is none.</summary>
    public string? FindNewest(string prefix)
    {
        if (!Directory.Exists(Folder))
        {
            return null;
        }

        string? best = null;
        (string Date, long Seq) bestKey = (string.Empty, -1);
        foreach (var path in Directory.EnumerateFiles(Folder, prefix + "_*.csv"))
        {
            var match = DropName().Match(Path.GetFileName(path));
            if (!match.Success || match.Groups["prefix"].Value != prefix
                || !long.TryParse(match.Groups["seq"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                continue;
            }

            var key = (match.Groups["date"].Value, seq);
            var order = string.CompareOrdinal(key.Value, bestKey.Date);
            if (order > 0 || (order == 0 && seq > bestKey.Seq))
            {
                (best, bestKey) = (path, key);
            }
        }

        return best;
    }

    [GeneratedRegex("^(?<prefix>[a-z]+)_(?<date>[0-9]{8})_(?<seq>[0-9]{1,9})\\.csv$", RegexOptions.CultureInvariant)]
    private static partial Regex DropName();
}
