using System.Diagnostics;
using System.Security.Cryptography;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.IntegrationTests.Transfer;

[CollectionDefinition(nameof(MemoryMeasurementGroup), DisableParallelization = true)]
public sealed class MemoryMeasurementGroup;

/// <summary>
/// A 100 MB file crosses a real sshd both ways while the managed heap and the working set are sampled. Run alone
/// (no parallel tests) so other tests' allocations do not count.
/// </summary>
[Collection(nameof(MemoryMeasurementGroup))]
public sealed class SftpStreamingMemoryTests(SshdFixture server) : IClassFixture<SshdFixture>
{
    private const long FileSize = 100L * 1024 * 1024;

    // A buffered transfer would need at least the file size; streaming needs the pipe's buffers plus gen0 garbage.
    private const long MaxGrowth = 32L * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DownloadAsync_100MbFile_StreamsInBoundedMemory()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        var source = Path.Combine(drop, "responses-100mb.csv");
        await TransferTestFiles.WriteAsync(source, FileSize, Ct);
        var target = Path.Combine(server.NewDrop(), "responses-100mb.csv");
        var fileDrop = FileDrops.Create(server.Options(drop), TimeProvider.System, NullLoggerFactory.Instance);

        var (heap, workingSet) = await MeasureAsync(() => fileDrop.DownloadAsync("responses-100mb.csv", target, Ct));

        new FileInfo(target).Length.ShouldBe(FileSize);
        (await HashAsync(target)).ShouldBe(await HashAsync(source));
        TestContext.Current.TestOutputHelper?.WriteLine("SFTP download of 100 MiB: peak managed heap growth {0:N0} bytes, peak working set growth {1:N0} bytes", heap, workingSet);
        heap.ShouldBeLessThan(MaxGrowth);
        workingSet.ShouldBeLessThan(MaxGrowth * 2);
    }

    [Fact]
    public async Task UploadAsync_100MbFile_StreamsInBoundedMemory()
    {
        server.SkipIfUnavailable();
        var source = Path.Combine(server.NewDrop(), "recipients-100mb.csv");
        await TransferTestFiles.WriteAsync(source, FileSize, Ct);
        var drop = server.NewDrop();
        var fileDrop = FileDrops.Create(server.Options(drop), TimeProvider.System, NullLoggerFactory.Instance);

        var (heap, workingSet) = await MeasureAsync(() => fileDrop.UploadAsync(source, "recipients-100mb.csv", Ct));

        (await HashAsync(Path.Combine(drop, "recipients-100mb.csv"))).ShouldBe(await HashAsync(source));
        TestContext.Current.TestOutputHelper?.WriteLine("SFTP upload of 100 MiB: peak managed heap growth {0:N0} bytes, peak working set growth {1:N0} bytes", heap, workingSet);
        heap.ShouldBeLessThan(MaxGrowth);
        workingSet.ShouldBeLessThan(MaxGrowth * 2);
    }

    /// <summary>Peak growth over the baseline of the managed heap (GC.GetTotalMemory) and the process working set, sampled every 5 ms.</summary>
    private static async Task<(long Heap, long WorkingSet)> MeasureAsync(Func<Task> transfer)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        var heapBaseline = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetBaseline = process.WorkingSet64;
        long heapPeak = heapBaseline, workingSetPeak = workingSetBaseline;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(forceFullCollection: false));
                process.Refresh();
                workingSetPeak = Math.Max(workingSetPeak, process.WorkingSet64);
                await Task.Delay(5, CancellationToken.None);
            }
        }, CancellationToken.None);
        await transfer();
        await done.CancelAsync();
        await sampler;
        return (heapPeak - heapBaseline, workingSetPeak - workingSetBaseline);
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, Ct));
    }
}
