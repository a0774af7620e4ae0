using System.Collections.Concurrent;

namespace CampaignEtl.Platform;

/// <summary>
/// Every HTTP call of one run, per operation and in total: logins, logouts and retries included,
/// because each is a call the platform sees. Thread-safe; <c>status</c> and the run summary read it.
/// </summary>
public sealed class PlatformCallCounter
{
    private readonly ConcurrentDictionary<string, long> byOperation = new(StringComparer.Ordinal);
    private long total;

    public long Total => Interlocked.Read(ref total);

    /// <summary>Calls of one operation, by key <c>Service.operation</c>, e.g. <c>RecipientWebservice.addAll3Flat</c>.</summary>
    public long CountOf(string operation) => byOperation.TryGetValue(operation, out var count) ? count : 0;

    /// <summary>A copy of the counts per operation, ordered by key.</summary>
    public IReadOnlyDictionary<string, long> ByOperation() =>
        new SortedDictionary<string, long>(byOperation.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Counts a call unless that would go over <paramref name="budget"/>; false means "do not send".</summary>
    internal bool TryCount(string operation, long? budget)
    {
        while (true)
        {
            var seen = Interlocked.Read(ref total);
            if (budget is { } limit && seen >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref total, seen + 1, seen) == seen)
            {
                byOperation.AddOrUpdate(operation, 1, static (_, count) => count + 1);
                return true;
            }
        }
    }
}
