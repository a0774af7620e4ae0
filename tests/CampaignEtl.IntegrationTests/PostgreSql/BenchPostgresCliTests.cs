using System.Diagnostics;
using System.Text.Json;
using CampaignEtl.Crm.PostgreSql;
using CampaignEtl.Pipeline.Archive;

namespace CampaignEtl.IntegrationTests.PostgreSql;

/// <summary>The <c>bench postgres</c> verb end to end (figures are not checked: speed belongs to the benchmark itself).</summary>
public sealed class BenchPostgresCliTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public BenchPostgresCliTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task BenchPostgres_2000Contacts_ExitsZeroAndPrintsTheTable()
    {
        SkipWithoutPostgres();

        var result = await RunAsync(null, "bench", "postgres", "--contacts", "2000", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        var lines = result.Stdout.Trim().Split('\n', StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(3, result.ToString());
        lines[0].ShouldStartWith("contacts     people   selected   exported  psql rows  export rows/s  psql rows/s  ratio");
        lines[1].ShouldStartWith("2,000 ");
        lines[2].ShouldStartWith("ratio = export time ÷ psql \\copy time");
    }

    [Fact]
    public async Task BenchPostgres_Json_SameRowCountFromTheExportAndPsql()
    {
        SkipWithoutPostgres();

        var result = await RunAsync(null, "bench", "postgres", "--contacts", "1500", "--json", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout.Trim().Split('\n').ShouldHaveSingleItem());
        var root = json.RootElement;
        root.GetProperty("contacts").GetInt32().ShouldBe(1500);
        root.GetProperty("selected").GetInt64().ShouldBeGreaterThan(0);
        root.GetProperty("psqlRows").GetInt64().ShouldBe(root.GetProperty("selected").GetInt64());
        root.GetProperty("exported").GetInt64().ShouldBeLessThanOrEqualTo(root.GetProperty("selected").GetInt64());
        root.GetProperty("exportRowsPerSecond").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("psqlRowsPerSecond").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("ratio").GetDouble().ShouldBeGreaterThan(0);
        root.GetProperty("exportPeakMb").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task BenchPostgres_ZeroContacts_ExitsTwoWithTheReason()
    {
        var result = await RunAsync(null, "bench", "postgres", "--contacts", "0", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.Trim().ShouldBe("error: --contacts must be at least 1");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task BenchPostgres_FolderUnderAFile_ExitsTwoWithTheReason()
    {
        // A folder below a regular file cannot be created, whoever runs the test (root ignores permission bits).
        var file = Path.Combine(_folder, "a-file");
        await File.WriteAllTextAsync(file, "not a folder", TestContext.Current.CancellationToken);

        var result = await RunAsync(null, "bench", "postgres", "--contacts", "10", "--folder", Path.Combine(file, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith($"error: --folder {Path.Combine(file, "bench")}: not writable (");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task BenchPostgres_PostgresMissing_ExitsTwoWithTheInstallHint()
    {
        var empty = Path.Combine(_folder, "no-postgres-here");
        Directory.CreateDirectory(empty);

        var result = await RunAsync(empty, "bench", "postgres", "--contacts", "10", "--folder", Path.Combine(_folder, "bench"));

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.Trim().ShouldBe("error: PostgreSQL is not installed (apt-get install -y postgresql)");
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
            // A leftover temp folder is harmless.
        }
    }

    private static void SkipWithoutPostgres()
    {
        if (LocalPostgresServer.FindBinFolder() is null)
        {
            Assert.Skip(LocalPostgresServer.NotInstalled + "; .ci/run installs it");
        }
    }

    /// <summary>The real program, as Support.Cli runs it, with <see cref="LocalPostgresServer.BinFolderVariable"/> set when given.</summary>
    private async Task<Support.Cli.Result> RunAsync(string? postgresBin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CampaignEtl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (postgresBin is not null)
        {
            start.Environment[LocalPostgresServer.BinFolderVariable] = postgresBin;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new Support.Cli.Result(process.ExitCode, await stdout, await stderr);
    }
}
