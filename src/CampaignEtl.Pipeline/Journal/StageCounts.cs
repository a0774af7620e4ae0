namespace CampaignEtl.Pipeline.Journal;

/// <summary>
/// What a stage attempt read and where each row went. <see cref="IsBalanced"/> is the rule that holds
/// for every stage: rows in = rows out + rejected + excluded (excluded rows carry a named rule in
/// <see cref="Details"/>).
/// </summary>
public sealed class StageCounts
{
    public long RowsIn { get; set; }

    public long RowsOut { get; set; }

    public long RowsRejected { get; set; }

    public long RowsExcluded { get; set; }

    /// <summary>Calls this attempt made to the platform's SOAP API (the platform counts and limits them).</summary>
    public long PlatformCalls { get; set; }

    /// <summary>Named counters, e.g. <c>list:1001:excluded:no-consent</c>; written to the journal as JSON.</summary>
    public SortedDictionary<string, long> Details { get; } = new(StringComparer.Ordinal);

    public bool IsBalanced => RowsIn == RowsOut + RowsRejected + RowsExcluded;

    public void Add(string key, long value)
    {
        Details[key] = Details.GetValueOrDefault(key) + value;
    }
}
