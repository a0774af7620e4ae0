using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// Reads a source on the thread pool up to a bounded number of items ahead of its consumer: the platform answers the
/// next closed-loop page while the rows of this one are archived, parsed and staged, instead of each side waiting for
/// the other. Memory stays bounded by the capacity. The source's own failure reaches the consumer as it came, after the
/// items read before it; a consumer that stops early (its own failure, or cancellation) stops the source too.
/// </summary>
internal static class ReadAhead
{
    public static async IAsyncEnumerable<T> ReadAsync<T>(IAsyncEnumerable<T> source, int capacity, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reading = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var item in source.WithCancellation(stop.Token))
                    {
                        await channel.Writer.WriteAsync(item, stop.Token);
                    }
                }
                finally
                {
                    channel.Writer.Complete();
                }
            },
            CancellationToken.None);
        var drained = false;
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(ct))
            {
                yield return item;
            }

            drained = true;
        }
        finally
        {
            if (!drained)
            {
                // The consumer's reason for stopping is the one reported; the source only has to stop.
                await stop.CancelAsync();
                await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        // Everything read was handed over; a failure of the source comes now, with its own type and message.
        await reading;
    }
}
