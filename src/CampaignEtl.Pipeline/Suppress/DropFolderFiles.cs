using System.Globalization;
using System.Text.RegularExpressions;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// The platform's scheduled export files, <c>&lt;prefix&gt;_&lt;yyyyMMdd&gt;_&lt;seq&gt;.csv</c>, in a local folder
/// (<c>Suppress:DropFolder</c>) or on the file drop: the newest by date, then sequence number.
/// </summary>
internal sealed partial class DropFolderFiles(string folder)
{
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The newest file of the kind, or null when there is none.</summary>
    public string? FindNewest(string prefix) =>
        Directory.Exists(Folder) && Newest(Directory.EnumerateFiles(Folder, prefix + "_*.csv").Select(Path.GetFileName).OfType<string>(), prefix) is { } name
            ? Path.Combine(Folder, name)
            : null;

    /// <summary>The newest of <paramref name="names"/> (file names without folders) of the kind, or null.</summary>
    public static string? Newest(IEnumerable<string> names, string prefix)
    {
        string? best = null;
        (string Date, long Seq) bestKey = (string.Empty, -1);
        foreach (var path in names)
        {
            var match = DropName().Match(path);
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
