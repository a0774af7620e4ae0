using CampaignEtl.Pipeline.Suppress;

namespace CampaignEtl.Tests.Suppress;

public sealed class ReadAheadTests
{
    [Fact]
    public async Task ReadAsync_SourceLongerThanCapacity_EveryItemInOrder()
    {
        var read = new List<int>();
        await foreach (var item in ReadAhead.ReadAsync(Source(2500), 100, TestContext.Current.CancellationToken))
        {
            read.Add(item);
        }

        read.ShouldBe(Enumerable.Range(0, 2500));
    }

    [Fact]
    public async Task ReadAsync_SourceFailsAfterSomeItems_ThoseItemsThenTheSourcesOwnException()
    {
        var read = new List<int>();

        var failure = await Should.ThrowAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in ReadAhead.ReadAsync(Source(5, failAfter: true), 2, TestContext.Current.CancellationToken))
            {
                read.Add(item);
            }
        });

        failure.Message.ShouldBe("the platform failed after 5 rows");
        read.ShouldBe([0, 1, 2, 3, 4]);
    }

    [Fact]
    public async Task ReadAsync_ConsumerStopsEarly_SourceIsStoppedAndTheConsumersExceptionReported()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var failure = await Should.ThrowAsync<FormatException>(async () =>
        {
            await foreach (var item in ReadAhead.ReadAsync(Endless(stopped), 10, TestContext.Current.CancellationToken))
            {
                if (item == 3)
                {
                    throw new FormatException("row 3 is broken");
                }
            }
        });

        failure.Message.ShouldBe("row 3 is broken");
        stopped.Task.IsCompleted.ShouldBeTrue("the source's enumeration ended before the consumer got its exception");
    }

    private static async IAsyncEnumerable<int> Source(int count, bool failAfter = false)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }

        if (failAfter)
        {
            throw new InvalidOperationException($"the platform failed after {count} rows");
        }
    }

    private static async IAsyncEnumerable<int> Endless(TaskCompletionSource stopped, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        try
        {
            for (var i = 0; ; i++)
            {
                await Task.Delay(1, ct);
                yield return i;
            }
        }
        finally
        {
            stopped.TrySetResult();
        }
    }
}
