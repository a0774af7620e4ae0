using System.Text.Json;
using CampaignEtl.Pipeline.Archive;

namespace CampaignEtl.IntegrationTests.Bench;

/// <summary>The <c>bench refill</c> verb runs end to end (figures are not checked: speed belongs to the benchmark itself).</summary>
public sealed class BenchRefillCliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public BenchRefillCliTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task BenchRefill_2000Recipients_ExitsZeroAndPrintsTheTable()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "refill", "--recipients", "2000", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(2, result.ToString());
        lines[0].ShouldStartWith("recipients  refill rec/s  floor rec/s  ratio");
        lines[1].ShouldStartWith("2,000 ");
    }

    [Fact]
    public async Task BenchRefill_TwoSizesJson_ReportsEverySizeAndThePeakRatio()
    {
        // 1001 is not a multiple of the batch size: the last batch is shorter, in the refill and in the floor.
        var result = await Support.Cli.RunAsync(_folder, "bench", "refill", "--recipients", "1001", "--recipients", "500", "--json", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(3, result.ToString());
        using var first = JsonDocument.Parse(lines[0]);
        first.RootElement.GetProperty("recipients").GetInt32().ShouldBe(1001);
        first.RootElement.GetProperty("batchSize").GetInt32().ShouldBe(500);
        first.RootElement.GetProperty("concurrency").GetInt32().ShouldBe(4);
        first.RootElement.GetProperty("refillRecipientsPerSecond").GetDouble().ShouldBeGreaterThan(0);
        first.RootElement.GetProperty("floorRecipientsPerSecond").GetDouble().ShouldBeGreaterThan(0);
        first.RootElement.GetProperty("ratio").GetDouble().ShouldBeGreaterThan(0);
        first.RootElement.GetProperty("refillPeakMb").GetDouble().ShouldBeGreaterThan(0);
        // login, clear, three addAll3Flat (500, 500, 1), getCount.
        first.RootElement.GetProperty("platformCalls").GetInt64().ShouldBe(6);
        using var second = JsonDocument.Parse(lines[1]);
        second.RootElement.GetProperty("recipients").GetInt32().ShouldBe(500);
        using var peak = JsonDocument.Parse(lines[2]);
        peak.RootElement.GetProperty("smallest").GetInt32().ShouldBe(500);
        peak.RootElement.GetProperty("largest").GetInt32().ShouldBe(1001);
        peak.RootElement.GetProperty("peakRatio").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task BenchRefill_ZeroRecipients_ExitsTwoWithTheReason()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "refill", "--recipients", "0", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith("error: --recipients must be between 1 and");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task BenchRefill_FolderUnderAFile_ExitsTwoWithTheReason()
    {
        // A folder below a regular file cannot be created, whoever runs the test (root ignores permission bits).
        var file = Path.Combine(_folder, "a-file");
        await File.WriteAllTextAsync(file, "not a folder", TestContext.Current.CancellationToken);

        var result = await Support.Cli.RunAsync(_folder, "bench", "refill", "--recipients", "2000", "--folder", Path.Combine(file, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith($"error: --folder {Path.Combine(file, "bench")}: not writable (");
        result.Stdout.ShouldBeEmpty();
    }

    public void Dispose()
    {
        try
        {
            ReadOnlyFiles.DeleteTree(_folder);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }
}
