namespace CampaignEtl.Pipeline.Refill;

/// <summary>Recipients of tonight's export against the previous one: added, removed, unchanged.</summary>
public sealed record ListDiffCounts(long Added, long Removed, long Unchanged);

/// <summary>
/// The dry run's comparison: a merge-join of two recipient-id streams that are both sorted ordinally
/// (export files are written in recipient-id order), so it holds one id of each side at a time.
/// </summary>
public static class ListDiff
{
    public static async Task<ListDiffCounts> CompareAsync(IAsyncEnumerable<string> current, IAsyncEnumerable<string> previous, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(previous);
        await using var now = new Cursor(current.GetAsyncEnumerator(cancellationToken), "current");
        await using var before = new Cursor(previous.GetAsyncEnumerator(cancellationToken), "previous");
        long added = 0, removed = 0, unchanged = 0;
        await now.MoveAsync();
        await before.MoveAsync();
        while (now.Has || before.Has)
        {
            var order = !now.Has ? 1 : !before.Has ? -1 : string.CompareOrdinal(now.Current, before.Current);
            if (order < 0)
            {
                added++;
                await now.MoveAsync();
            }
            else if (order > 0)
            {
                removed++;
                await before.MoveAsync();
            }
            else
            {
                unchanged++;
                await now.MoveAsync();
                await before.MoveAsync();
            }
        }

        return new ListDiffCounts(added, removed, unchanged);
    }

    /// <summary>One side of the join; refuses ids out of order, which would make the counts wrong without a word.</summary>
    private sealed class Cursor(IAsyncEnumerator<string> inner, string side) : IAsyncDisposable
    {
        private long _position;

        public bool Has { get; private set; }

        public string Current { get; private set; } = string.Empty;

        public async Task MoveAsync()
        {
            var previous = Has ? Current : null;
            Has = await inner.MoveNextAsync();
            if (!Has)
            {
                return;
            }

            _position++;
            Current = inner.Current;
            if (previous is not null && string.CompareOrdinal(previous, Current) >= 0)
            {
                throw new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the {side} recipient ids are not in ascending order at row {_position}"));
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
