using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CampaignEtl.Cli;
using CampaignEtl.Commands.BenchJob;
using CampaignEtl.Composition;
using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Refill;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>bench job</c> (and <c>bench --contacts N</c>): for each size, a child process builds a CRM of N generated people
/// (the <c>bench export</c> generator: consents, marketing lists, saved filters) plus campaigns linked to mailings in
/// Campaign mode, starts the sandbox in a further child process with suppression events for 5 % of N people, and runs
/// the whole nightly job through the real runner and the real stages (the shipped configuration's three recipient
/// lists): suppress over SOAP, export, refill, then ingest of N response events written into the drop for the people
/// the export really exported. Each stage's time and peak memory are its own; after the job, in the same process, the
/// floors each stage is made of are measured against the same CRM and sandbox.
/// </summary>
internal static class BenchJobCommand
{
    private const int MaxContacts = 10_000_000;
    private const double StageTarget = 1.5;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Adds <c>bench job</c> to <paramref name="bench"/>, and <c>--contacts</c> on <c>bench</c> itself as its alias.</summary>
    public static Command WithJob(this Command bench)
    {
        bench.Add(Build());
        var contacts = new Option<int[]>("--contacts") { Description = "Same as bench job --contacts: benchmark the whole nightly job (repeatable)" };
        var folder = FolderOption();
        var json = JsonOption();
        bench.Add(contacts);
        bench.Add(folder);
        bench.Add(json);
        bench.SetAction(async (parse, token) =>
        {
            // Without --contacts, a bare "bench" would start an hour of measurements nobody asked for.
            if (parse.GetValue(contacts) is not { Length: > 0 } sizes)
            {
                await Console.Error.WriteLineAsync("error: bench needs a benchmark (export, soap, refill, ingest, job) or --contacts N (the whole job)");
                return ExitCodes.Usage;
            }

            return await StartAsync(sizes, parse.GetValue(folder)!, parse.GetValue(json), child: false, token);
        });
        return bench;
    }

    private static Option<string> FolderOption() =>
        new("--folder") { Description = "Scratch folder (deleted and recreated per size)", DefaultValueFactory = _ => Path.Combine("var", "bench-job") };

    private static Option<bool> JsonOption() => new("--json") { Description = "One JSON object per size instead of the table" };

    private static Command Build()
    {
        var contacts = new Option<int[]>("--contacts") { Description = "Generated contacts per measurement (repeatable; leads: a quarter as many)", DefaultValueFactory = _ => [100_000, 1_000_000] };
        var folder = FolderOption();
        var json = JsonOption();
        var child = new Option<bool>("--child") { Hidden = true };
        var serve = new Option<bool>("--serve-sandbox") { Hidden = true };
        var suppressions = new Option<string?>("--suppressions") { Hidden = true };
        var job = new Command("job", "Benchmark the whole nightly job (suppress, export, refill, ingest) against the floors of its stages") { contacts, folder, json, child, serve, suppressions };
        job.SetAction(async (parse, token) => parse.GetValue(serve)
            ? await ServeAsync(Path.GetFullPath(parse.GetValue(folder)!), parse.GetValue(suppressions), token)
            : await StartAsync(parse.GetValue(contacts) ?? [], parse.GetValue(folder)!, parse.GetValue(json), parse.GetValue(child), token));
        return job;
    }

    private static async Task<int> StartAsync(int[] sizes, string folder, bool json, bool child, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(folder);
        if (sizes.Length == 0 || sizes.Any(n => n is < 1 or > MaxContacts))
        {
            await Console.Error.WriteLineAsync($"error: --contacts must be between 1 and {MaxContacts.ToString(CultureInfo.InvariantCulture)}");
            return ExitCodes.Usage;
        }

        if (!BenchCommand.CanWrite(root, out var reason))
        {
            await Console.Error.WriteLineAsync($"error: --folder {root}: not writable ({reason})");
            return ExitCodes.Usage;
        }

        return child ? await MeasureAsync(sizes[0], root, cancellationToken) : await RunChildrenAsync(sizes, root, json, cancellationToken);
    }

    private static async Task<int> RunChildrenAsync(int[] sizes, string root, bool json, CancellationToken cancellationToken)
    {
        if (!json)
        {
            Console.Out.WriteLine($"{"contacts",10} {"stage",-9} {"rows in",10} {"rows/s",10} {"floor rows/s",13} {"ratio",6} {"target",6} {"peak MB",8} {"seconds",8} {"floor s",8}");
        }

        var results = new List<JobBenchResult>();
        foreach (var size in sizes)
        {
            var folder = Path.Combine(root, size.ToString(CultureInfo.InvariantCulture));
            using var process = Process.Start(BenchCommand.ThisProgram("bench", "job", "--child", "--contacts", size.ToString(CultureInfo.InvariantCulture), "--folder", folder))!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"error: the measurement of {size.ToString(CultureInfo.InvariantCulture)} contacts failed (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)})");
                return ExitCodes.StageFailed;
            }

            var result = JsonSerializer.Deserialize<JobBenchResult>(output.Trim().Split('\n')[^1], Json)!;
            results.Add(result);
            if (json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(result, Json));
                continue;
            }

            foreach (var s in result.Stages)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Contacts,10:N0} {s.Stage,-9} {s.RowsIn,10:N0} {s.RowsPerSecond,10:N0} {s.FloorRowsPerSecond,13:N0} {s.Ratio,6:0.00} {Target(s.Ratio <= StageTarget),6} {s.PeakMb,8:N0} {s.Seconds,8:0.0} {s.FloorSeconds,8:0.0}"));
            }

            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Contacts,10:N0} {"total",-9} {"",10} {"",10} {"",13} {result.Ratio,6:0.00} {Target(result.Ratio <= StageTarget && result.PeakMb < 300),6} {result.PeakMb,8:N0} {result.JobSeconds,8:0.0} {result.FloorSeconds,8:0.0}"));
        }

        if (results.Count > 1)
        {
            var smallest = results.MinBy(r => r.Contacts)!;
            var largest = results.MaxBy(r => r.Contacts)!;
            var peakRatio = largest.PeakMb / smallest.PeakMb;
            Console.Out.WriteLine(json
                ? JsonSerializer.Serialize(new { smallest = smallest.Contacts, largest = largest.Contacts, peakRatio }, Json)
                : string.Create(CultureInfo.InvariantCulture,
                    $"Peak memory of the job at {largest.Contacts:N0} is {peakRatio:0.00}x that at {smallest.Contacts:N0} (target 1.3)."));
        }

        if (!json)
        {
            Console.Out.WriteLine("ratio = stage time ÷ floor time for the same rows (total: whole job ÷ sum of the floors); target: ratio ≤ 1.5 (total also peak < 300 MB). Floors: suppress = plain getOutBounces/getResponses/getUnsubscribes posts + SQLite upsert; export = SQLite filtered read into CsvHelper; refill = plain addAll3Flat posts; ingest = CsvHelper read + SQLite upsert.");
        }

        return ExitCodes.Success;

        static string Target(bool met) => met ? "ok" : "missed";
    }

    /// <summary>The sandbox child: the shipped lists plus the refill floor's, the suppression events of the file, its endpoint on standard output.</summary>
    private static async Task<int> ServeAsync(string folder, string? suppressions, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var export = Configuration(folder, null, folder).GetSection(ExportOptions.Section).Get<ExportOptions>() ?? new ExportOptions();
        var options = new SandboxOptions
        {
            DatabasePath = Path.Combine(folder, "sandbox.db"),
            DropFolder = Path.Combine(folder, "drop"),
            RecipientLists =
            {
                new SandboxListOptions
                {
                    Id = BenchRefillCommand.ListId, Name = BenchRefillCommand.ListName, IsOptInList = true,
                    Attributes = [.. ExportColumns.Technical.Skip(RefillColumns.FirstAttribute), .. BenchRefillCommand.ListAttributes],
                },
            },
        };
        foreach (var list in export.RecipientLists)
        {
            // As the embedded sandbox creates them: what the refill sends after recipient id, email and opt-in id.
            options.RecipientLists.Add(new SandboxListOptions
            {
                Id = list.ListId, Name = list.Name, IsOptInList = false,
                Attributes = [.. ExportColumns.Technical[RefillColumns.FirstAttribute..], .. list.Attributes.Keys.Order(StringComparer.Ordinal)],
            });
        }

        await using var sandbox = await SandboxPlatform.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, cancellationToken);
        if (suppressions is not null)
        {
            foreach (var line in File.ReadLines(suppressions))
            {
                var fields = line.Split('\t');
                switch (fields[0])
                {
                    case "unsubscribe":
                        await sandbox.State.AddUnsubscribeAsync(fields[1], null, cancellationToken);
                        break;
                    case "list-unsubscribe":
                        await sandbox.State.AddUnsubscribeAsync(fields[1], long.Parse(fields[2], CultureInfo.InvariantCulture), cancellationToken);
                        break;
                    default:
                        await sandbox.State.SetBounceCountAsync(fields[1], BounceCategory.Hard, options.HardBounceThreshold, cancellationToken);
                        break;
                }
            }
        }

        return await BenchSoapCommand.ServeUntilInputClosesAsync(sandbox, cancellationToken);
    }

    /// <summary>The shipped configuration (appsettings.json beside the program), pointed at the bench's folders and sandbox.</summary>
    private static IConfiguration Configuration(string dataFolder, Uri? endpoint, string drop)
    {
        var sandbox = new SandboxOptions();
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false, reloadOnChange: false)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Data:Folder"] = dataFolder,
                ["Sandbox:Embedded"] = "false",
                ["Platform:Endpoint"] = endpoint?.ToString() ?? "http://127.0.0.1/",
                ["Platform:MandatorId"] = sandbox.MandatorId.ToString(CultureInfo.InvariantCulture),
                ["Platform:User"] = sandbox.User,
                ["Platform:Password"] = sandbox.Password,
                ["Transfer:Protocol"] = "Local",
                ["Transfer:LocalFolder"] = drop,
                // Generated people include bad addresses on purpose; the bench measures, it does not gate.
                ["Run:MaxRejectRate"] = "1",
            })
            .Build();
    }

    private static async Task<int> MeasureAsync(int contacts, string folder, CancellationToken cancellationToken)
    {
        ReadOnlyFiles.DeleteTree(folder);
        Directory.CreateDirectory(folder);
        var load = LoadAverage();
        var time = TimeProvider.System;
        var dataFolder = Path.Combine(folder, "data");
        var drop = Path.Combine(folder, "drop");
        Directory.CreateDirectory(dataFolder);
        Directory.CreateDirectory(drop);

        var setup = Stopwatch.StartNew();
        var crm = new CrmDatabase(new DataOptions { Folder = dataFolder }.CrmDatabasePath, TimeSpan.FromSeconds(30));
        await new DemoCrmSeeder(time).SeedAsync(crm, contacts, 42, cancellationToken);
        await AddCampaignsAsync(crm, time.GetUtcNow(), cancellationToken);
        using (var written = new FileStream(crm.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            // The seed leaves hundreds of MB of dirty pages; written out now, kernel write-back does not land in a stage.
            written.Flush(flushToDisk: true);
        }

        var suppressionsFile = Path.Combine(folder, "suppressions.tsv");
        var suppressions = await WriteSuppressionsAsync(crm, suppressionsFile, Math.Max(1, contacts / 20), cancellationToken);

        var start = BenchCommand.ThisProgram("bench", "job", "--serve-sandbox", "--folder", Path.Combine(folder, "sandbox"), "--suppressions", suppressionsFile);
        start.RedirectStandardInput = true;
        using var sandboxProcess = Process.Start(start) ?? throw new InvalidOperationException("the sandbox child process did not start");
        try
        {
            var endpoint = new Uri(await sandboxProcess.StandardOutput.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("the sandbox child process printed no endpoint"));
            var setupSeconds = setup.Elapsed.TotalSeconds;
            return await MeasureAsync(contacts, folder, Configuration(dataFolder, endpoint, drop), endpoint, crm, suppressions, setupSeconds, load, cancellationToken);
        }
        finally
        {
            sandboxProcess.StandardInput.Close();
            await sandboxProcess.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<int> MeasureAsync(
        int contacts, string folder, IConfiguration configuration, Uri endpoint, CrmDatabase crm, int suppressions, double setupSeconds, double load,
        CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        await using var provider = new ServiceCollection().AddLogging().AddSingleton(configuration).AddCampaignEtl(configuration, validateEverythingOnStart: true).BuildServiceProvider();
        var data = provider.GetRequiredService<IOptions<DataOptions>>();
        var export = provider.GetRequiredService<IOptions<ExportOptions>>().Value;
        var drop = configuration["Transfer:LocalFolder"]!;
        IReadOnlyList<string> responseFiles = [];
        // Three days back, as bench ingest: every event of the generated night is in the past.
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-3);
        var measured = provider.GetServices<IStage>().Select(stage => stage.Name == StageName.Ingest
            ? new MeasuredStage(stage, async (context, ct) => responseFiles = await JobResponseFiles.WriteAsync(context, export.RecipientLists, drop, contacts, day, ct))
            : new MeasuredStage(stage)).ToDictionary(s => s.Name);
        var runner = new PipelineRunner(measured.Values, data, provider.GetRequiredService<IOptions<RunOptions>>(), provider.GetRequiredService<IOptions<ArchiveOptions>>(),
            time, NullLogger<PipelineRunner>.Instance);

        var wall = Stopwatch.StartNew();
        var outcome = await runner.RunAsync(new RunRequest([], null, null, false, RunTrigger.Manual), cancellationToken);
        wall.Stop();
        if (!outcome.Succeeded || outcome.Stages.Count != StageNames.InOrder.Count)
        {
            foreach (var failed in outcome.Stages.Where(s => s.Status != StageStatus.Succeeded))
            {
                await Console.Error.WriteLineAsync($"bench job: {failed.Stage.ToText()} {failed.Status}: {failed.Error}");
            }

            return ExitCodes.StageFailed;
        }

        var jobSeconds = wall.Elapsed.TotalSeconds - measured.Values.Sum(s => s.BenchTime.TotalSeconds);
        var counts = outcome.Stages.ToDictionary(s => s.Stage, s => s.Counts);
        if (counts[StageName.Ingest].RowsIn != contacts)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench job: the ingest read {counts[StageName.Ingest].RowsIn} events of {contacts}"));
            return ExitCodes.StageFailed;
        }

        // The floors, after the job, in this process, against the same CRM, sandbox and files.
        var floors = new Dictionary<StageName, (double Seconds, long Rows)>();
        var journal = await RunJournal.OpenAsync(data.Value.JournalPath, cancellationToken);
        var suppressAttempt = await journal.LastSucceededAttemptAsync(outcome.Run.RunId, StageName.Suppress, cancellationToken);
        var closedLoop = (await journal.ListFilesAsync(suppressAttempt!.Id, cancellationToken))
            .Where(f => f.Name.StartsWith("closedloop_", StringComparison.Ordinal))
            .Select(f => (Operation: f.Name.Split('_')[1], Rows: f.Rows ?? 0))
            .ToList();
        var platform = provider.GetRequiredService<IOptions<PlatformOptions>>().Value;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = platform.MaxConcurrency }) { BaseAddress = endpoint, Timeout = TimeSpan.FromMinutes(5) };
        var session = await BenchSoapCommand.LoginAsync(http, cancellationToken);

        var suppressRows = counts[StageName.Suppress].RowsIn;
        var now = time.GetUtcNow();
        var soap = await TimeAsync(() => JobFloors.ClosedLoopReadsAsync(http, session, closedLoop, now - TimeSpan.FromDays(30), now, 1000, cancellationToken));
        var suppressUpsert = await TimeAsync(() => JobFloors.SqliteUpsertAsync(Path.Combine(folder, "floor-suppress.db"), suppressRows,
            provider.GetRequiredService<IOptions<SuppressOptions>>().Value.BatchSize, cancellationToken));
        floors[StageName.Suppress] = (soap.Seconds + suppressUpsert.Seconds, suppressRows);

        var exportFloor = await TimeAsync(() => BenchCommand.FloorAsync(crm, Path.Combine(folder, "floor-export.csv"), BenchCommand.FilteredSelect, null, cancellationToken));
        floors[StageName.Export] = (exportFloor.Seconds, exportFloor.Rows);

        var refillRows = counts[StageName.Refill].RowsIn;
        var floorList = new RecipientListOptions
        {
            Name = BenchRefillCommand.ListName, ListId = BenchRefillCommand.ListId, OptInId = BenchRefillCommand.OptInId, Description = "bench refill",
            Attributes = BenchRefillCommand.ListAttributes.ToDictionary(a => a, a => a, StringComparer.Ordinal),
        };
        var refillFloor = new BenchRefillCommand.Floor(http, session, floorList, checked((int)refillRows),
            provider.GetRequiredService<IOptions<RefillOptions>>().Value.BatchSize, platform.MaxConcurrency);
        var refill = await TimeAsync(async () => { await refillFloor.RunAsync(cancellationToken); return refillRows; });
        floors[StageName.Refill] = (refill.Seconds, refillRows);

        var ingestRows = counts[StageName.Ingest].RowsIn;
        var csv = await TimeAsync(() => JobFloors.CsvReadAsync(responseFiles, cancellationToken));
        var ingestUpsert = await TimeAsync(() => JobFloors.SqliteUpsertAsync(Path.Combine(folder, "floor-ingest.db"), ingestRows,
            provider.GetRequiredService<IOptions<IngestOptions>>().Value.BatchSize, cancellationToken));
        floors[StageName.Ingest] = (csv.Seconds + ingestUpsert.Seconds, ingestRows);

        var stages = StageNames.InOrder.Select(name =>
        {
            var stage = measured[name];
            var c = counts[name];
            var seconds = stage.Duration!.Value.TotalSeconds;
            var (floorSeconds, floorRows) = floors[name];
            var floorRate = Rate(floorRows, floorSeconds);
            // The export's floor reads its own selection: its time for the stage's rows is what is compared.
            var floorForStage = name == StageName.Export ? (floorRate > 0 ? c.RowsIn / floorRate : 0) : floorSeconds;
            return new StageFigures(name.ToText(), c.RowsIn, c.RowsOut, c.RowsRejected, c.RowsExcluded, c.PlatformCalls,
                seconds, Rate(c.RowsIn, seconds), floorForStage, floorRate, floorForStage > 0 ? seconds / floorForStage : 0, stage.PeakMb);
        }).ToList();
        var floorTotal = stages.Sum(s => s.FloorSeconds);
        Console.Out.WriteLine(JsonSerializer.Serialize(new JobBenchResult(
            contacts, suppressions, jobSeconds, floorTotal, floorTotal > 0 ? jobSeconds / floorTotal : 0, stages.Max(s => s.PeakMb),
            setupSeconds, measured.Values.Sum(s => s.BenchTime.TotalSeconds), load, stages), Json));
        return ExitCodes.Success;
    }

    private static double Rate(long rows, double seconds) => seconds > 0 ? rows / seconds : 0;

    private static async Task<(long Rows, double Seconds)> TimeAsync(Func<Task<long>> phase)
    {
        GC.Collect();
        var watch = Stopwatch.StartNew();
        var rows = await phase();
        return (rows, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The bench's campaigns, linked to the mailings the response files name, in Campaign mode, with the default member statuses.</summary>
    private static async Task AddCampaignsAsync(CrmDatabase crm, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await crm.OpenAsync(readOnly: false, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < $count)
            INSERT INTO campaign (id, name, type, status, platform_mailing_id, sync_mode, created_at, updated_at)
              SELECT '70100000000700' || n, 'Bench mailing ' || ($first + n), 'Email', 'In Progress', $first + n, 'campaign', $now, $now FROM k;
            INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order)
              SELECT c.id, s.label, s.responded, s.is_default, s.sort_order FROM campaign c,
                (SELECT 'Sent' AS label, 0 AS responded, 1 AS is_default, 1 AS sort_order
                 UNION ALL SELECT 'Opened', 1, 0, 2 UNION ALL SELECT 'Clicked', 1, 0, 3
                 UNION ALL SELECT 'Bounced', 0, 0, 4 UNION ALL SELECT 'Unsubscribed', 0, 0, 5) s
              WHERE c.id LIKE '70100000000700_';
            """;
        command.Parameters.AddWithValue("$count", JobResponseFiles.Mailings);
        command.Parameters.AddWithValue("$first", JobResponseFiles.FirstMailing);
        command.Parameters.AddWithValue("$now", CrmTime.Format(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Every 20th person with an address: four in ten unsubscribed client-wide, three in ten from one of the shipped
    /// lists, three in ten over the hard-bounce limit. Streamed to a file the sandbox child applies before it serves.
    /// </summary>
    private static async Task<int> WriteSuppressionsAsync(CrmDatabase crm, string path, int count, CancellationToken cancellationToken)
    {
        await using var connection = await crm.OpenAsync(readOnly: true, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, email FROM (SELECT id, email, row_number() OVER (ORDER BY id) AS n FROM person WHERE email LIKE '%_@_%._%')
            WHERE n % 20 = 0 LIMIT $count
            """;
        command.Parameters.AddWithValue("$count", count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await using var writer = new StreamWriter(path);
        var written = 0;
        long[] lists = [1001, 1002, 1003];
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, email) = (reader.GetString(0), reader.GetString(1));
            if (email.Contains('\t', StringComparison.Ordinal))
            {
                continue;
            }

            await writer.WriteLineAsync((written % 10) switch
            {
                < 4 => "unsubscribe\t" + id,
                < 7 => "list-unsubscribe\t" + id + "\t" + lists[written % lists.Length].ToString(CultureInfo.InvariantCulture),
                _ => "outbounce\t" + email,
            });
            written++;
        }

        return written;
    }

    private static double LoadAverage()
    {
        try
        {
            return OperatingSystem.IsLinux() ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private sealed record StageFigures(
        string Stage, long RowsIn, long RowsOut, long RowsRejected, long RowsExcluded, long PlatformCalls,
        double Seconds, double RowsPerSecond, double FloorSeconds, double FloorRowsPerSecond, double Ratio, double PeakMb);

    private sealed record JobBenchResult(
        int Contacts, int SuppressionEvents, double JobSeconds, double FloorSeconds, double Ratio, double PeakMb,
        double SetupSeconds, double BenchSeconds, double LoadAverage, IReadOnlyList<StageFigures> Stages);
}
