using System.Text.Json;
using CampaignEtl.Pipeline.Archive;

namespace CampaignEtl.IntegrationTests.Bench;

/// <summary>The <c>bench ingest</c> verb runs end to end (figures are not checked: speed belongs to the benchmark itself).</summary>
public sealed class BenchIngestCliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public BenchIngestCliTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task BenchIngest_2000Events_PrintsTheTableForTheBaselineAndNAndThePeakRatio()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "ingest", "--events", "2000", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(4, result.ToString());
        lines[0].ShouldStartWith("events  ingest ev/s  csv ev/s  sqlite rows/s");
        lines[1].ShouldStartWith("200 ");
        lines[2].ShouldStartWith("2,000 ");
        lines[3].ShouldStartWith("Peak memory of the ingest at 2,000 events is ");
    }

    [Fact]
    public async Task BenchIngest_Json_EveryEventAppliedOrIgnoredAndBothFloorsMeasured()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "ingest", "--events", "3001", "--json", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(3, result.ToString());
        foreach (var (line, events) in new[] { (lines[0], 300), (lines[1], 3001) })
        {
            using var size = JsonDocument.Parse(line);
            var root = size.RootElement;
            root.GetProperty("events").GetInt32().ShouldBe(events);
            root.GetProperty("files").GetInt32().ShouldBe(2);
            root.GetProperty("batchSize").GetInt32().ShouldBe(5000);
            // Rows read = applied + ignored + rejected, and this generated night has nothing to reject.
            (root.GetProperty("applied").GetInt64() + root.GetProperty("ignored").GetInt64()).ShouldBe(events);
            root.GetProperty("rejected").GetInt64().ShouldBe(0);
            root.GetProperty("applied").GetInt64().ShouldBeGreaterThan(0);
            root.GetProperty("recipients").GetInt32().ShouldBeInRange(events * 2 / 3, events);
            root.GetProperty("ingestEventsPerSecond").GetDouble().ShouldBeGreaterThan(0);
            root.GetProperty("csvFloorEventsPerSecond").GetDouble().ShouldBeGreaterThan(0);
            root.GetProperty("sqliteFloorRowsPerSecond").GetDouble().ShouldBeGreaterThan(0);
            root.GetProperty("ingestPeakMb").GetDouble().ShouldBeGreaterThan(0);
            root.GetProperty("ingestManagedPeakMb").GetDouble().ShouldBeGreaterThan(0);
        }

        using var peak = JsonDocument.Parse(lines[2]);
        peak.RootElement.GetProperty("smallest").GetInt32().ShouldBe(300);
        peak.RootElement.GetProperty("largest").GetInt32().ShouldBe(3001);
        peak.RootElement.GetProperty("peakRatio").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task BenchIngest_ZeroEvents_ExitsTwoWithTheReason()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "ingest", "--events", "0", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.Trim().ShouldStartWith("error: --events must be between 1 and");
        result.Stderr.Trim().Split('\n').Length.ShouldBe(1);
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task BenchIngest_FolderUnderAFile_ExitsTwoWithTheReason()
    {
        // A folder below a regular file cannot be created, whoever runs the test (root ignores permission bits).
        var file = Path.Combine(_folder, "a-file");
        await File.WriteAllTextAsync(file, "not a folder", TestContext.Current.CancellationToken);

        var result = await Support.Cli.RunAsync(_folder, "bench", "ingest", "--events", "2000", "--folder", Path.Combine(file, "bench"));

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
