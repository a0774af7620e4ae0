using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CampaignEtl.Cli;
using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CsvHelper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>bench export</c>: for each size, a child process seeds a generated CRM, then measures in one
/// process run the floor (the same selection read from SQLite and written with CsvHelper, no rules)
/// and the real export stage (journal, archive, manifest included). Peak RSS is reset between the
/// phases (Linux /proc/self/clear_refs), so each figure is that phase's own.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Build(Option<string?> config)
    {
        var contacts = new Option<int[]>("--contacts") { Description = "Generated contacts per measurement (repeatable)", DefaultValueFactory = _ => [100_000, 1_000_000] };
        var folder = new Option<string>("--folder") { Description = "Scratch folder (deleted and recreated per size)", DefaultValueFactory = _ => Path.Combine("var", "bench") };
        var json = new Option<bool>("--json") { Description = "One JSON object per size instead of the table" };
        var child = new Option<bool>("--child") { Hidden = true };
        var export = new Command("export", "Benchmark the export stage against its floor at several sizes") { contacts, folder, json, child };
        export.SetAction(async (parse, token) =>
        {
            var sizes = parse.GetValue(contacts) ?? [];
            var root = Path.GetFullPath(parse.GetValue(folder)!);
            if (sizes.Length == 0 || sizes.Any(n => n < 1))
            {
                await Console.Error.WriteLineAsync("error: --contacts must be at least 1");
                return ExitCodes.Usage;
            }

            if (!CanWrite(root, out var reason))
            {
                await Console.Error.WriteLineAsync($"error: --folder {root}: not writable ({reason})");
                return ExitCodes.Usage;
            }

            return parse.GetValue(child)
                ? await MeasureAsync(sizes[0], root, token)
                : await RunChildrenAsync(sizes, root, parse.GetValue(json), token);
        });
        return new Command("bench", "Benchmarks (not tests): throughput and peak memory against measured floors")
        {
            export, BenchSoapCommand.Build(config), BenchRefillCommand.Build(), BenchIngestCommand.Build(), BenchPostgresCommand.Build(),
        }.WithJob();
    }

    private static async Task<int> RunChildrenAsync(int[] sizes, string root, bool json, CancellationToken cancellationToken)
    {
        if (!json)
        {
            Console.Out.WriteLine($"{"contacts",10} {"selected",10} {"exported",10} {"floor rows/s",13} {"same-sel rows/s",16} {"export rows/s",14} {"ratio",6} {"same-sel",9} {"cold export",12} {"cold ratio",11} {"floor MB",9} {"export MB",10}");
        }

        var results = new List<BenchResult>();
        foreach (var size in sizes)
        {
            var folder = Path.Combine(root, size.ToString(CultureInfo.InvariantCulture));
            var start = ThisProgram("bench", "export", "--child", "--contacts", size.ToString(CultureInfo.InvariantCulture), "--folder", folder);
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"error: the measurement of {size} contacts failed (exit {process.ExitCode})");
                return ExitCodes.StageFailed;
            }

            var result = JsonSerializer.Deserialize<BenchResult>(output.Trim().Split('\n')[^1], Json)!;
            results.Add(result);
            Console.Out.WriteLine(json ? JsonSerializer.Serialize(result, Json) : string.Create(CultureInfo.InvariantCulture,
                $"{result.Contacts,10:N0} {result.Selected,10:N0} {result.Exported,10:N0} {result.FloorRowsPerSecond,13:N0} {result.SameSelectionRowsPerSecond,16:N0} {result.ExportRowsPerSecond,14:N0} {result.Ratio,6:0.00} {result.SameSelectionRatio,9:0.00} {result.ColdExportRowsPerSecond,12:N0} {result.ColdRatio,11:0.00} {result.FloorPeakMb,9:N0} {result.ExportPeakMb,10:N0}"));
        }

        if (!json && results.Count > 1)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Peak memory of the export at {results[^1].Contacts:N0} is {results[^1].ExportPeakMb / results[0].ExportPeakMb:0.00}x that at {results[0].Contacts:N0}; ratio = floor rows/s ÷ export rows/s (selected people per second), each the second run of its phase in one process; same-sel = the same selection without rules ÷ export; cold = the export's first run (JIT, caches) against the floor's first run."));
        }

        return ExitCodes.Success;
    }

    private static async Task<int> MeasureAsync(int contacts, string folder, CancellationToken cancellationToken)
    {
        ReadOnlyFiles.DeleteTree(folder);
        Directory.CreateDirectory(folder);
        var time = TimeProvider.System;
        var data = new DataOptions { Folder = folder };
        var database = new CrmDatabase(data.CrmDatabasePath, TimeSpan.FromSeconds(30));
        await new DemoCrmSeeder(time).SeedAsync(database, contacts, 42, cancellationToken);

        // The seed leaves hundreds of MB of dirty pages; write them out now so kernel write-back does not land in a measurement.
        using (var written = new FileStream(database.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            written.Flush(flushToDisk: true);
        }
        var list = new RecipientListOptions
        {
            Name = "newsletter-de", ListId = 1001, OptInId = DemoCrmSeeder.OptInNewsletterDe, Description = "bench",
            Selection = new SelectionOptions { MarketingLists = [DemoCrmSeeder.ListNewsletterDe] },
            Attributes = new(StringComparer.Ordinal) { ["salutation"] = "salutation", ["firstname"] = "first_name", ["lastname"] = "last_name", ["company"] = "company", ["country"] = "country" },
        };

        // Each phase runs twice in this process: the first (cold: JIT, caches) is reported as such, the
        // second is the steady state a nightly run reaches from its second list on, and is the one
        // compared. Peak memory is each phase's own, over both of its runs.
        var floorCold = await TimeAsync(() => FloorAsync(database, Path.Combine(folder, "floor-cold.csv"), FilteredSelect, null, cancellationToken));
        GC.Collect();
        ResetPeak();
        var (floorRows, floorElapsed) = await TimeAsync(() => FloorAsync(database, Path.Combine(folder, "floor.csv"), FilteredSelect, null, cancellationToken));
        var floorPeak = PeakMb();
        await TimeAsync(() => FloorAsync(database, Path.Combine(folder, "floor-same-selection-cold.csv"), SameSelection, DemoCrmSeeder.ListNewsletterDe, cancellationToken));
        var (sameSelectionRows, sameSelectionElapsed) = await TimeAsync(() =>
            FloorAsync(database, Path.Combine(folder, "floor-same-selection.csv"), SameSelection, DemoCrmSeeder.ListNewsletterDe, cancellationToken));

        GC.Collect();
        ResetPeak();
        var stage = new ExportStage(Options.Create(new ExportOptions { RecipientLists = [list] }), Options.Create(new RunOptions { MaxRejectRate = 1 }),
            Options.Create(data), new CrmExportReader(database), NullLogger<ExportStage>.Instance);
        var runner = new PipelineRunner([stage], Options.Create(data), Options.Create(new RunOptions()), Options.Create(new ArchiveOptions { RetentionDays = 0 }),
            time, NullLogger<PipelineRunner>.Instance);
        var cold = (await runner.RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), cancellationToken)).Stages.Single();
        var outcome = await runner.RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), cancellationToken);
        var exportPeak = PeakMb();
        var result = outcome.Stages.Single();
        if (result.Status != StageStatus.Succeeded || cold.Status != StageStatus.Succeeded)
        {
            await Console.Error.WriteLineAsync("export failed: " + (result.Error ?? cold.Error));
            return ExitCodes.StageFailed;
        }

        var seconds = result.Duration.TotalSeconds;
        var floorRate = floorRows / floorElapsed.TotalSeconds;
        var sameSelectionRate = sameSelectionRows / sameSelectionElapsed.TotalSeconds;
        var exportRate = result.Counts.RowsIn / seconds;
        var coldExportRate = cold.Counts.RowsIn / cold.Duration.TotalSeconds;
        var coldFloorRate = floorCold.Rows / floorCold.Elapsed.TotalSeconds;
        Console.Out.WriteLine(JsonSerializer.Serialize(new BenchResult(
            contacts, result.Counts.RowsIn, result.Counts.RowsOut, floorRate, sameSelectionRate, exportRate,
            floorRate / exportRate, sameSelectionRate / exportRate, coldExportRate, coldFloorRate / coldExportRate,
            floorPeak, exportPeak, floorElapsed.TotalSeconds, seconds), Json));
        return ExitCodes.Success;
    }

    /// <summary>The floor of perf-baseline.md: a filtered select of one table (here a third of the people), no joins.</summary>
    internal const string FilteredSelect = """
        SELECT p.id, p.email, p.entity_type, p.salutation, p.first_name, p.last_name, p.company, p.country
        FROM person p WHERE p.language = 'de'
        """;

    /// <summary>A second reference: the export's own selection and columns (list membership, account name), no rules.</summary>
    private const string SameSelection = """
        SELECT p.id, p.email, p.entity_type, p.salutation, p.first_name, p.last_name, COALESCE(p.company, p.account_name), p.country
        FROM person p WHERE instr(p.marketing_lists, (SELECT ',' || l.id || ',' FROM marketing_list l WHERE l.name = $name)) > 0
        """;

    private static async Task<(long Rows, TimeSpan Elapsed)> TimeAsync(Func<Task<long>> phase)
    {
        var watch = Stopwatch.StartNew();
        var rows = await phase();
        return (rows, watch.Elapsed);
    }

    /// <summary>A floor: rows straight from SQLite into CsvHelper, eight columns, no rules, no Dataflow.</summary>
    internal static async Task<long> FloorAsync(CrmDatabase database, string path, string sql, string? listName, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(readOnly: true, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (listName is not null)
        {
            command.Parameters.AddWithValue("$name", listName);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
        await using var csv = CsvWriter.Create(stream, CsvFormats.Writer, leaveOpen: true);
        csv.WriteHeader(["recipient-id", "email", "entity-type", "salutation", "firstname", "lastname", "company", "country"]);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < 8; i++)
            {
                csv.WriteField(reader.IsDBNull(i) ? string.Empty : reader.GetString(i));
            }

            csv.EndRecord();
            rows++;
        }

        await csv.FlushAsync(cancellationToken);
        return rows;
    }

    /// <summary>Starts a new peak-memory measurement (Linux: resets VmHWM).</summary>
    /// <summary>This program again (the dll under <c>dotnet</c>, or the apphost) with <paramref name="args"/>, its output read by the caller.</summary>
    internal static ProcessStartInfo ThisProgram(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        foreach (var arg in Environment.GetCommandLineArgs().Take(1).Where(a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    internal static void ResetPeak()
    {
        if (OperatingSystem.IsLinux())
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
    }

    /// <summary>Peak resident memory in MB since the last <see cref="ResetPeak"/>.</summary>
    internal static double PeakMb()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Environment.WorkingSet / 1048576.0;
        }

        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    internal static bool CanWrite(string folder, out string reason)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, ".write-probe");
            File.WriteAllText(probe, "probe");
            File.Delete(probe);
            reason = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reason = ex.Message;
            return false;
        }
    }

    private sealed record BenchResult(
        int Contacts, long Selected, long Exported, double FloorRowsPerSecond, double SameSelectionRowsPerSecond, double ExportRowsPerSecond,
        double Ratio, double SameSelectionRatio, double ColdExportRowsPerSecond, double ColdRatio,
        double FloorPeakMb, double ExportPeakMb, double FloorSeconds, double ExportSeconds);
}
