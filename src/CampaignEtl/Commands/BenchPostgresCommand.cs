using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CampaignEtl.Cli;
using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.PostgreSql;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>bench postgres</c>: the CRM store on PostgreSQL beside PostgreSQL's own tool. Starts a throwaway server on
/// loopback, seeds an N-contact demo CRM (as <c>bench export</c> does) and loads it with binary COPY, then times
/// (a) the export stage reading one recipient list through <see cref="PostgreSqlExportSource"/> and (b)
/// <c>psql \copy (select …) to file</c> of the same selection: the same rows, the same columns (the export's
/// own read: id, type, address, normalised address, exclusion rule, attributes), in the same order. Each is run
/// twice and the second (warm) run is compared. Peak memory is this process's over the two export runs (psql's
/// is a separate process and not counted).
/// </summary>
internal static class BenchPostgresCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Build()
    {
        var contacts = new Option<int>("--contacts") { Description = "Generated contacts", DefaultValueFactory = _ => 1_000_000 };
        var folder = new Option<string>("--folder") { Description = "Scratch folder (deleted and recreated)", DefaultValueFactory = _ => Path.Combine("var", "bench-postgres") };
        var json = new Option<bool>("--json") { Description = "One JSON object instead of the table" };
        var postgres = new Command("postgres", "Benchmark the export over the PostgreSQL CRM store against psql \\copy of the same rows") { contacts, folder, json };
        postgres.SetAction(async (parse, token) =>
        {
            var size = parse.GetValue(contacts);
            var root = Path.GetFullPath(parse.GetValue(folder)!);
            if (size < 1)
            {
                await Console.Error.WriteLineAsync("error: --contacts must be at least 1");
                return ExitCodes.Usage;
            }

            if (!BenchCommand.CanWrite(root, out var reason))
            {
                await Console.Error.WriteLineAsync($"error: --folder {root}: not writable ({reason})");
                return ExitCodes.Usage;
            }

            if (LocalPostgresServer.FindBinFolder() is null)
            {
                await Console.Error.WriteLineAsync("error: " + LocalPostgresServer.NotInstalled);
                return ExitCodes.Usage;
            }

            return await MeasureAsync(size, root, parse.GetValue(json), token);
        });
        return postgres;
    }

    private static async Task<int> MeasureAsync(int contacts, string folder, bool json, CancellationToken cancellationToken)
    {
        ReadOnlyFiles.DeleteTree(folder);
        Directory.CreateDirectory(folder);
        var time = TimeProvider.System;
        var data = new DataOptions { Folder = folder };
        var database = new CrmDatabase(data.CrmDatabasePath, TimeSpan.FromSeconds(30));
        await new DemoCrmSeeder(time).SeedAsync(database, contacts, 42, cancellationToken);

        await using var server = await LocalPostgresServer.StartAsync(null, cancellationToken);
        var connectionString = await server.CreateDatabaseAsync("crm", cancellationToken);
        await using var crm = new PostgreSqlCrm(connectionString);
        var loadWatch = Stopwatch.StartNew();
        var copied = await new PostgreSqlCrmLoader(crm).LoadAsync(database, cancellationToken);
        var loadSeconds = loadWatch.Elapsed.TotalSeconds;

        var list = new RecipientListOptions
        {
            Name = "newsletter-de", ListId = 1001, OptInId = DemoCrmSeeder.OptInNewsletterDe, Description = "bench",
            Selection = new SelectionOptions { MarketingLists = [DemoCrmSeeder.ListNewsletterDe] },
            Attributes = new(StringComparer.Ordinal) { ["salutation"] = "salutation", ["firstname"] = "first_name", ["lastname"] = "last_name", ["company"] = "company", ["country"] = "country" },
        };

        GC.Collect();
        BenchCommand.ResetPeak();
        var stage = new ExportStage(Options.Create(new ExportOptions { RecipientLists = [list] }), Options.Create(new RunOptions { MaxRejectRate = 1 }),
            Options.Create(data), new PostgreSqlExportSource(crm), NullLogger<ExportStage>.Instance);
        var runner = new PipelineRunner([stage], Options.Create(data), Options.Create(new RunOptions()), Options.Create(new ArchiveOptions { RetentionDays = 0 }),
            time, NullLogger<PipelineRunner>.Instance);
        var cold = (await runner.RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), cancellationToken)).Stages.Single();
        var warm = (await runner.RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), cancellationToken)).Stages.Single();
        var exportPeak = BenchCommand.PeakMb();
        if (cold.Status != StageStatus.Succeeded || warm.Status != StageStatus.Succeeded)
        {
            await Console.Error.WriteLineAsync("error: the export over PostgreSQL failed: " + (warm.Error ?? cold.Error));
            return ExitCodes.StageFailed;
        }

        var query = await CopyQueryAsync(crm, list, cancellationToken);
        var copyCold = await PsqlCopyAsync(server, query, Path.Combine(folder, "psql-copy-cold.csv"), cancellationToken);
        var copyWarm = await PsqlCopyAsync(server, query, Path.Combine(folder, "psql-copy.csv"), cancellationToken);
        if (copyWarm.Rows != warm.Counts.RowsIn || copyCold.Rows != warm.Counts.RowsIn)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"error: psql \\copy wrote {copyWarm.Rows} rows but the export selected {warm.Counts.RowsIn}: not the same selection"));
            return ExitCodes.StageFailed;
        }

        var exportSeconds = warm.Duration.TotalSeconds;
        var result = new PostgresBenchResult(
            contacts, copied["person"], warm.Counts.RowsIn, warm.Counts.RowsOut, copyWarm.Rows,
            copied.Values.Sum() / loadSeconds, loadSeconds,
            warm.Counts.RowsIn / exportSeconds, copyWarm.Rows / copyWarm.Seconds, exportSeconds / copyWarm.Seconds,
            exportSeconds, copyWarm.Seconds, cold.Duration.TotalSeconds, copyCold.Seconds, exportPeak);
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(result, Json));
        }
        else
        {
            Console.Out.WriteLine($"{"contacts",10} {"people",10} {"selected",10} {"exported",10} {"psql rows",10} {"export rows/s",14} {"psql rows/s",12} {"ratio",6} {"export s",9} {"psql s",7} {"load rows/s",12} {"peak MB",8}");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Contacts,10:N0} {result.People,10:N0} {result.Selected,10:N0} {result.Exported,10:N0} {result.PsqlRows,10:N0} {result.ExportRowsPerSecond,14:N0} {result.PsqlRowsPerSecond,12:N0} {result.Ratio,6:0.00} {result.ExportSeconds,9:0.00} {result.PsqlSeconds,7:0.00} {result.LoadRowsPerSecond,12:N0} {result.ExportPeakMb,8:N0}"));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratio = export time ÷ psql \\copy time for the same {result.Selected:N0} selected rows and columns (warm runs; cold: export {result.ColdExportSeconds:0.00} s, psql {result.ColdPsqlSeconds:0.00} s); the export also applies the rules and writes export, rejects and duplicates files, journal and manifest. Load: binary COPY of all {copied.Count} tables from SQLite in {loadSeconds:0.0} s. Peak MB: this process over the export runs."));
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The export source's own statement for the list (selection, exclusion rule, attribute columns, id order) with
    /// the parameters written in as literals, for psql. Only ids and whitelisted field names reach the text.
    /// </summary>
    private static async Task<string> CopyQueryAsync(PostgreSqlCrm crm, RecipientListOptions list, CancellationToken cancellationToken)
    {
        await using var connection = await crm.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM marketing_list WHERE name = @name";
        command.Parameters.AddWithValue("name", list.Selection.MarketingLists.Single());
        var listId = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        var attributes = PostgreSqlSelectionSql.AttributeColumns(list.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Value));
        return string.Create(CultureInfo.InvariantCulture, $"""
            SELECT p.id, p.entity_type, p.email, p.email_normalized, {PostgreSqlSelectionSql.ExclusionCase.Replace("@optInTag", PostgreSqlSelectionSql.Literal(PostgreSqlSelectionSql.SetTag(list.OptInId!.Value)), StringComparison.Ordinal)}{attributes}
            FROM person p
            WHERE strpos(p.marketing_lists, {PostgreSqlSelectionSql.Literal(PostgreSqlSelectionSql.SetTag(listId))}) > 0
            ORDER BY p.id
            """).ReplaceLineEndings(" ");
    }

    /// <summary>psql's wall time (connect, COPY, write) and the data rows of the file it wrote.</summary>
    private static async Task<(long Rows, double Seconds)> PsqlCopyAsync(LocalPostgresServer server, string query, string path, CancellationToken cancellationToken)
    {
        var start = server.Psql("crm", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", $"\\copy ({query}) to '{path.Replace("'", "''", StringComparison.Ordinal)}' csv header");
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"psql \\copy failed (exit {process.ExitCode}): {(await stderr).Trim().ReplaceLineEndings(" | ")}");
        }

        // Data rows: the header excluded. Values carry no line breaks here (no field of the selection holds one),
        // so lines are rows; checked against the export's selected count by the caller.
        long lines = 0;
        using (var reader = new StreamReader(path))
        {
            while (await reader.ReadLineAsync(cancellationToken) is not null)
            {
                lines++;
            }
        }

        return (Math.Max(0, lines - 1), seconds);
    }

    private sealed record PostgresBenchResult(
        int Contacts, long People, long Selected, long Exported, long PsqlRows,
        double LoadRowsPerSecond, double LoadSeconds,
        double ExportRowsPerSecond, double PsqlRowsPerSecond, double Ratio,
        double ExportSeconds, double PsqlSeconds, double ColdExportSeconds, double ColdPsqlSeconds, double ExportPeakMb);
}
