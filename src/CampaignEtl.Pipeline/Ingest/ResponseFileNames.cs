using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CampaignEtl.Pipeline.Ingest;

/// <summary>
/// Which drop files are response exports (Ingest:FilePattern) and the order they are ingested in: by the send date in
/// the name, then mailing id, then sequence number (<c>responses_&lt;mailing&gt;_&lt;yyyyMMdd&gt;_&lt;seq&gt;.csv</c>), so
/// a later day's events are applied after an earlier day's. Names that do not parse go last, in ordinal order.
/// </summary>
internal static partial class ResponseFileNames
{
    /// <summary>The names matching <paramref name="pattern"/>, in ingest order.</summary>
    public static List<string> Select(IEnumerable<string> names, string pattern)
    {
        var match = ToRegex(pattern);
        return names.Where(n => match.IsMatch(n)).Order(Comparer).ToList();
    }

    /// <summary>A file name pattern with <c>*</c> and <c>?</c> as an anchored, case-sensitive regex.</summary>
    public static Regex ToRegex(string pattern)
    {
        var text = new StringBuilder("^");
        foreach (var c in pattern)
        {
            text.Append(c switch
            {
                '*' => "[^/]*",
                '?' => "[^/]",
                _ => Regex.Escape(c.ToString()),
            });
        }

        return new Regex(text.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    public static IComparer<string> Comparer { get; } = Comparer<string>.Create(Compare);

    /// <summary>The (date, mailing, seq) of a name, or null when it does not follow the platform's naming.</summary>
    public static (string Date, long Mailing, long Seq)? Key(string name)
    {
        var m = Name().Match(name);
        if (!m.Success
            || !long.TryParse(m.Groups["mailing"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var mailing)
            || !long.TryParse(m.Groups["seq"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return null;
        }

        return (m.Groups["date"].Value, mailing, seq);
    }

    private static int Compare(string? a, string? b)
    {
        var (ka, kb) = (Key(a ?? string.Empty), Key(b ?? string.Empty));
        if (ka is null || kb is null)
        {
            return ka is null && kb is null ? string.CompareOrdinal(a, b) : ka is null ? 1 : -1;
        }

        var order = string.CompareOrdinal(ka.Value.Date, kb.Value.Date);
        order = order != 0 ? order : ka.Value.Mailing.CompareTo(kb.Value.Mailing);
        order = order != 0 ? order : ka.Value.Seq.CompareTo(kb.Value.Seq);
        return order != 0 ? order : string.CompareOrdinal(a, b);
    }

    [GeneratedRegex("_(?<mailing>[0-9]{1,18})_(?<date>[0-9]{8})_(?<seq>[0-9]{1,9})\\.csv$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();
}
