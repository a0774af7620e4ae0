using System.Text.Json;
using CampaignEtl.Pipeline.Archive;

namespace CampaignEtl.IntegrationTests.Bench;

/// <summary>The <c>bench job</c> verb runs the whole job end to end (figures are not checked: speed belongs to the benchmark itself).</summary>
public sealed class BenchJobCliTests : IDisposable
{
    private static readonly string[] Stages = ["suppress", "export", "refill", "ingest"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public BenchJobCliTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task BenchJob_2000Contacts_PrintsTheFourStagesAndTheTotal()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "job", "--contacts", "2000", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(7, result.ToString());
        lines[0].ShouldStartWith("contacts stage        rows in     rows/s  floor rows/s  ratio target  peak MB");
        for (var i = 0; i < Stages.Length; i++)
        {
            lines[i + 1].ShouldStartWith($"2,000 {Stages[i]} ");
        }

        lines[5].ShouldStartWith("2,000 total ");
        lines[6].ShouldStartWith("ratio = stage time ÷ floor time");
    }

    [Fact]
    public async Task BenchJob_Json_EveryStageBalancedMeasuredAndIngestReadsNEvents()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "job", "--contacts", "2000", "--json", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(1, result.ToString());
        using var document = JsonDocument.Parse(lines[0]);
        var root = document.RootElement;
        root.GetProperty("contacts").GetInt32().ShouldBe(2000);
        // 5 % of N people: client-wide and list unsubscribes and outbounces, all read back by the suppress stage.
        root.GetProperty("suppressionEvents").GetInt32().ShouldBe(100);
        root.GetProperty("jobSeconds").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("floorSeconds").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("ratio").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("peakMb").GetDouble().ShouldBeGreaterThan(0);
        var stages = root.GetProperty("stages").EnumerateArray().ToList();
        stages.Select(s => s.GetProperty("stage").GetString()).ShouldBe(Stages);
        foreach (var stage in stages)
        {
            var rowsIn = stage.GetProperty("rowsIn").GetInt64();
            rowsIn.ShouldBeGreaterThan(0, stage.ToString());
            rowsIn.ShouldBe(stage.GetProperty("rowsOut").GetInt64() + stage.GetProperty("rowsRejected").GetInt64() + stage.GetProperty("rowsExcluded").GetInt64(), stage.ToString());
            stage.GetProperty("rowsPerSecond").GetDouble().ShouldBeGreaterThan(0, stage.ToString());
            stage.GetProperty("floorRowsPerSecond").GetDouble().ShouldBeGreaterThan(0, stage.ToString());
            stage.GetProperty("ratio").GetDouble().ShouldBeGreaterThan(0, stage.ToString());
            stage.GetProperty("peakMb").GetDouble().ShouldBeGreaterThan(0, stage.ToString());
        }

        stages[0].GetProperty("rowsIn").GetInt64().ShouldBe(100);
        stages[3].GetProperty("rowsIn").GetInt64().ShouldBe(2000);
        // The refill uploads what the export accepted.
        stages[2].GetProperty("rowsIn").GetInt64().ShouldBe(stages[1].GetProperty("rowsOut").GetInt64());
    }

    [Fact]
    public async Task Bench_ContactsWithoutSubVerb_RunsTheJob()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "--contacts", "1500", "--json", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout.Trim());
        document.RootElement.GetProperty("contacts").GetInt32().ShouldBe(1500);
        document.RootElement.GetProperty("stages").GetArrayLength().ShouldBe(4);
    }

    [Fact]
    public async Task Bench_NeitherSubVerbNorContacts_ExitsTwoWithTheReason()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench");

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith("error: bench needs a benchmark (export, soap, refill, ingest, job) or --contacts N");
        result.Stdout.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("job", "0")]
    [InlineData("job", "-5")]
    [InlineData(null, "0")]
    public async Task BenchJob_ContactsBelowOne_ExitsTwoWithTheReason(string? verb, string contacts)
    {
        string[] args = [.. new[] { "bench", verb }.OfType<string>(), "--contacts", contacts, "--folder", Path.Combine(_folder, "bench")];

        var result = await Support.Cli.RunAsync(_folder, args);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith("error: --contacts must be between 1 and");
        result.Stderr.Trim().Split('\n').Length.ShouldBe(1, result.ToString());
        result.Stdout.ShouldBeEmpty();
        Directory.Exists(Path.Combine(_folder, "bench")).ShouldBeFalse();
    }

    [Fact]
    public async Task BenchJob_ContactsNotANumber_ExitsTwoWithTheReason()
    {
        var result = await Support.Cli.RunAsync(_folder, "bench", "job", "--contacts", "many", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith("error: Cannot parse argument 'many' for option '--contacts'");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task BenchJob_FolderUnderAFile_ExitsTwoWithTheReason()
    {
        // A folder below a regular file cannot be created, whoever runs the test (root ignores permission bits).
        var file = Path.Combine(_folder, "a-file");
        await File.WriteAllTextAsync(file, "not a folder", TestContext.Current.CancellationToken);

        var result = await Support.Cli.RunAsync(_folder, "bench", "job", "--contacts", "2000", "--folder", Path.Combine(file, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith($"error: --folder {Path.Combine(file, "bench")}: not writable (");
        result.Stderr.Trim().Split('\n').Length.ShouldBe(1, result.ToString());
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
