using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CampaignEtl.Cli;
using CampaignEtl.Commands.BenchJob;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Ingest;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Transfer;
using CsvHelper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>bench ingest</c>: for each size (a baseline of 100,000 events, or a tenth of N when N is smaller, and N), a child
/// process builds a CRM of as many people as the events need and two linked campaigns (Campaign mode, and an Activity
/// mode one with a tenth of the recipients), writes the platform's response export files into a local drop folder
/// (the sandbox's layout and a realistic mix, grouped by recipient), and measures in one process: the floor of the
/// read (CsvHelper over the same files, every field, nothing else), the floor of the write (one plain SQLite upsert
/// per event into a one-table database, in batches of the stage's size, one transaction each), and the real ingest
/// stage through the runner (journal, archive, ledger, rejects file included). Peak memory is reset before each phase,
/// so each figure is that phase's own; the children make the figures per size.
/// </summary>
internal static class BenchIngestCommand
{
    private const int MaxEvents = 100_000_000;
    private const int Baseline = 100_000;
    private const long CampaignMailing = 7001;
    private const long ActivityMailing = 7002;
    private const long ListId = 3001;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Build()
    {
        var events = new Option<int>("--events") { Description = "Response events ingested at the largest size (the baseline is 100,000, or a tenth when smaller)", DefaultValueFactory = _ => 1_000_000 };
        var folder = new Option<string>("--folder") { Description = "Scratch folder (deleted and recreated per size)", DefaultValueFactory = _ => Path.Combine("var", "bench-ingest") };
        var json = new Option<bool>("--json") { Description = "One JSON object per size instead of the table" };
        var child = new Option<bool>("--child") { Hidden = true };
        var ingest = new Command("ingest", "Benchmark the ingest stage against a CsvHelper read and a plain SQLite upsert of the same events") { events, folder, json, child };
        ingest.SetAction(async (parse, token) =>
        {
            var size = parse.GetValue(events);
            var root = Path.GetFullPath(parse.GetValue(folder)!);
            if (size is < 1 or > MaxEvents)
            {
                await Console.Error.WriteLineAsync($"error: --events must be between 1 and {MaxEvents.ToString(CultureInfo.InvariantCulture)}");
                return ExitCodes.Usage;
            }

            if (!BenchCommand.CanWrite(root, out var reason))
            {
                await Console.Error.WriteLineAsync($"error: --folder {root}: not writable ({reason})");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(child))
            {
                return await MeasureAsync(size, root, token);
            }

            var baseline = Math.Min(Baseline, Math.Max(1, size / 10));
            return await RunChildrenAsync(baseline == size ? [size] : [baseline, size], root, parse.GetValue(json), token);
        });
        return ingest;
    }

    private static async Task<int> RunChildrenAsync(int[] sizes, string root, bool json, CancellationToken cancellationToken)
    {
        if (!json)
        {
            Console.Out.WriteLine($"{"events",12} {"ingest ev/s",12} {"csv ev/s",9} {"sqlite rows/s",14} {"ingest s",9} {"csv s",7} {"sqlite s",9} {"ingest MB",10} {"heap MB",8} {"csv MB",7} {"sqlite MB",10} {"load",5}");
        }

        var results = new List<IngestBenchResult>();
        foreach (var size in sizes)
        {
            var folder = Path.Combine(root, size.ToString(CultureInfo.InvariantCulture));
            using var process = Process.Start(BenchCommand.ThisProgram("bench", "ingest", "--child", "--events", size.ToString(CultureInfo.InvariantCulture), "--folder", folder))!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"error: the measurement of {size.ToString(CultureInfo.InvariantCulture)} events failed (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)})");
                return ExitCodes.StageFailed;
            }

            var result = JsonSerializer.Deserialize<IngestBenchResult>(output.Trim().Split('\n')[^1], Json)!;
            results.Add(result);
            Console.Out.WriteLine(json ? JsonSerializer.Serialize(result, Json) : string.Create(CultureInfo.InvariantCulture,
                $"{result.Events,12:N0} {result.IngestEventsPerSecond,12:N0} {result.CsvFloorEventsPerSecond,9:N0} {result.SqliteFloorRowsPerSecond,14:N0} {result.IngestSeconds,9:0.0} {result.CsvFloorSeconds,7:0.0} {result.SqliteFloorSeconds,9:0.0} {result.IngestPeakMb,10:N0} {result.IngestManagedPeakMb,8:N0} {result.CsvFloorPeakMb,7:N0} {result.SqliteFloorPeakMb,10:N0} {result.LoadAverage,5:0.0}"));
        }

        if (results.Count > 1)
        {
            var smallest = results[0];
            var largest = results[^1];
            var peakRatio = largest.IngestPeakMb / smallest.IngestPeakMb;
            Console.Out.WriteLine(json
                ? JsonSerializer.Serialize(new { smallest = smallest.Events, largest = largest.Events, peakRatio }, Json)
                : string.Create(CultureInfo.InvariantCulture,
                    $"Peak memory of the ingest at {largest.Events:N0} events is {peakRatio:0.00}x that at {smallest.Events:N0}; csv = a CsvHelper read of the same files (every field, nothing else), sqlite = one plain upsert per event into a one-table database, batches of {largest.BatchSize:N0} per transaction; ingest MB = peak working set, heap MB = peak managed heap; load = the 1-minute load average at the start."));
        }

        return ExitCodes.Success;
    }

    private static async Task<int> MeasureAsync(int events, string folder, CancellationToken cancellationToken)
    {
        ReadOnlyFiles.DeleteTree(folder);
        Directory.CreateDirectory(folder);
        var load = LoadAverage();
        var time = TimeProvider.System;
        var data = new DataOptions { Folder = Path.Combine(folder, "data") };
        var drop = Path.Combine(folder, "drop");
        Directory.CreateDirectory(drop);
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-3);
        var files = await ResponseFiles.WriteAsync(drop, events, day, cancellationToken);
        var crm = new CrmDatabase(data.CrmDatabasePath, TimeSpan.FromSeconds(30));
        await SeedCrmAsync(crm, files.Recipients, time.GetUtcNow(), cancellationToken);
        var ingestOptions = new IngestOptions { SoftBounceThreshold = 5 };
        var batchSize = ingestOptions.BatchSize;

        GC.Collect();
        BenchCommand.ResetPeak();
        var (csvRows, csvElapsed) = await TimeAsync(() => JobFloors.CsvReadAsync(files.Paths, cancellationToken));
        var csvPeak = BenchCommand.PeakMb();

        GC.Collect();
        BenchCommand.ResetPeak();
        var (sqliteRows, sqliteElapsed) = await TimeAsync(() => SqliteFloorAsync(Path.Combine(folder, "floor.db"), events, batchSize, cancellationToken));
        var sqlitePeak = BenchCommand.PeakMb();
        if (csvRows != events || sqliteRows != events)
        {
            await Console.Error.WriteLineAsync($"a floor saw {csvRows.ToString(CultureInfo.InvariantCulture)} / {sqliteRows.ToString(CultureInfo.InvariantCulture)} rows of {events.ToString(CultureInfo.InvariantCulture)}");
            return ExitCodes.StageFailed;
        }

        var runOptions = Options.Create(new RunOptions());
        var stage = new IngestStage(
            Options.Create(ingestOptions), Options.Create(new ExportOptions()), runOptions, Options.Create(data), crm,
            FileDrops.Create(new TransferOptions { Protocol = TransferProtocol.Local, LocalFolder = drop }, time, NullLoggerFactory.Instance),
            new NoPlatform(), time, NullLogger<IngestStage>.Instance);
        var runner = new PipelineRunner([stage], Options.Create(data), runOptions, Options.Create(new ArchiveOptions { RetentionDays = 0 }), time, NullLogger<PipelineRunner>.Instance);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        BenchCommand.ResetPeak();
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        RunOutcome outcome;
        double managedPeak;
        using (var heap = new HeapSampler())
        {
            outcome = await runner.RunAsync(new RunRequest([StageName.Ingest], null, null, false, RunTrigger.Manual), cancellationToken);
            managedPeak = heap.PeakMb;
        }

        var ingestPeak = BenchCommand.PeakMb();
        var result = outcome.Stages.Single();
        var counts = result.Counts;
        if (result.Status != StageStatus.Succeeded || counts.RowsIn != events || !counts.IsBalanced || counts.RowsRejected != 0)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"the ingest {result.Status}: rows in {counts.RowsIn} of {events}, out {counts.RowsOut}, excluded {counts.RowsExcluded}, rejected {counts.RowsRejected}: {result.Error}"));
            return ExitCodes.StageFailed;
        }

        var seconds = result.Duration.TotalSeconds;
        Console.Out.WriteLine(JsonSerializer.Serialize(new IngestBenchResult(
            events, files.Recipients, files.Paths.Count, batchSize,
            events / seconds, seconds, ingestPeak, managedPeak,
            (GC.GetTotalAllocatedBytes(precise: false) - allocated) / 1048576.0,
            GC.CollectionCount(0) - collections.Item1, GC.CollectionCount(1) - collections.Item2, GC.CollectionCount(2) - collections.Item3,
            counts.RowsOut, counts.RowsExcluded, counts.RowsRejected,
            csvRows / csvElapsed.TotalSeconds, csvElapsed.TotalSeconds, csvPeak,
            sqliteRows / sqliteElapsed.TotalSeconds, sqliteElapsed.TotalSeconds, sqlitePeak,
            load, counts.Details), Json));
        return ExitCodes.Success;
    }

    private static async Task<(long Rows, TimeSpan Elapsed)> TimeAsync(Func<Task<long>> phase)
    {
        var watch = Stopwatch.StartNew();
        var rows = await phase();
        return (rows, watch.Elapsed);
    }

    /// <summary>
    /// The people the events name (contacts <c>003</c> + 12 digits, as CRM ids), and the two campaigns with the default
    /// member statuses. Members are not created here: ingest creates them from the sends, as on a first night.
    /// </summary>
    private static async Task SeedCrmAsync(CrmDatabase crm, int recipients, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stamp = CrmTime.Format(now);
        await using var connection = await crm.CreateAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var campaigns = connection.CreateCommand())
        {
            campaigns.Transaction = transaction;
            // The mailing ids are CampaignMailing and ActivityMailing.
            campaigns.CommandText = """
                INSERT INTO campaign (id, name, type, status, platform_mailing_id, sync_mode, created_at, updated_at) VALUES
                  ('701000000007001', 'Bench newsletter', 'Email', 'In Progress', 7001, 'campaign', $now, $now),
                  ('701000000007002', 'Bench webinar', 'Email', 'In Progress', 7002, 'activity', $now, $now);
                INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order)
                  SELECT c.id, s.label, s.responded, s.is_default, s.sort_order FROM campaign c,
                    (SELECT 'Sent' AS label, 0 AS responded, 1 AS is_default, 1 AS sort_order
                     UNION ALL SELECT 'Opened', 1, 0, 2 UNION ALL SELECT 'Clicked', 1, 0, 3
                     UNION ALL SELECT 'Bounced', 0, 0, 4 UNION ALL SELECT 'Unsubscribed', 0, 0, 5) s;
                """;
            campaigns.Parameters.AddWithValue("$now", stamp);
            await campaigns.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var person = connection.CreateCommand())
        {
            person.Transaction = transaction;
            person.CommandText = "INSERT INTO person (id, entity_type, first_name, last_name, email, country, language, created_at, updated_at) VALUES ($id, 'contact', 'Bench', $last, $email, 'DE', 'de', $now, $now)";
            var id = person.Parameters.Add("$id", SqliteType.Text);
            var last = person.Parameters.Add("$last", SqliteType.Text);
            var email = person.Parameters.Add("$email", SqliteType.Text);
            person.Parameters.AddWithValue("$now", stamp);
            person.Prepare();
            for (var i = 0; i < recipients; i++)
            {
                id.Value = ResponseFiles.RecipientId(i);
                last.Value = "Person " + i.ToString(CultureInfo.InvariantCulture);
                email.Value = ResponseFiles.Email(i);
                await person.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The write floor: per event one upsert of a member row (campaign, person, status, time), prepared once, in
    /// batches of the stage's size, one transaction each. No lookups, no rules.
    /// </summary>
    private static Task<long> SqliteFloorAsync(string path, int events, int batchSize, CancellationToken cancellationToken) =>
        JobFloors.SqliteUpsertAsync(
            path,
            ResponseFiles.Events(events, new DateOnly(2026, 11, 22)).Select(e =>
                (e.MailingId == CampaignMailing ? "701000000007001" : "701000000007002", ResponseFiles.RecipientId(e.Recipient), e.Type, e.OccurredAt)),
            batchSize,
            cancellationToken);

    private static double LoadAverage()
    {
        try
        {
            return OperatingSystem.IsLinux()
                ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture)
                : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>The response export files of a bench night: one per mailing, written as the sandbox writes them.</summary>
    private static class ResponseFiles
    {
        private static readonly string[] Header = ["event-type", "occurred-at", "mailing-id", "recipient-id", "email", "list-id", "link-url", "bounce-reason"];

        public static string RecipientId(int recipient) => "003" + recipient.ToString("D12", CultureInfo.InvariantCulture);

        public static string Email(int recipient) => "r" + recipient.ToString(CultureInfo.InvariantCulture) + "@bench.example.org";

        /// <summary>
        /// Exactly <paramref name="count"/> events, grouped by recipient in id order, per recipient in the sandbox's
        /// order (send, bounce, open, click, unsubscribe): a send for everyone, ~2 % bounces (a quarter hard), ~25 % opens,
        /// ~5 % clicks, ~0.5 % unsubscribes. Every tenth recipient is in the Activity mode mailing. Deterministic.
        /// </summary>
        public static IEnumerable<ResponseRow> Events(int count, DateOnly day)
        {
            var random = new Random(42);
            var start = new DateTimeOffset(day.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero);
            var written = 0;
            for (var recipient = 0; written < count; recipient++)
            {
                var mailing = recipient % 10 == 9 ? ActivityMailing : CampaignMailing;
                var sendAt = start.AddSeconds(random.Next(0, 3600));
                var outcome = random.NextDouble();
                var open = sendAt.AddSeconds(random.Next(30, 2 * 86400));
                var click = open.AddSeconds(random.Next(5, 3600));
                var link = random.Next(1, 4);
                var unsubscribe = open.AddSeconds(random.Next(10, 3600));

                yield return new ResponseRow("send", Iso(sendAt), mailing, recipient, null, null);
                if (++written == count)
                {
                    yield break;
                }

                if (outcome < 0.02)
                {
                    var hard = outcome < 0.005;
                    yield return new ResponseRow(hard ? "hardbounce" : "softbounce", Iso(sendAt.AddSeconds(5)), mailing, recipient, null, hard ? "550 5.1.1 User unknown" : "452 4.2.2 Mailbox full");
                    written++;
                    continue;
                }

                // Opens for 25 % of all recipients, clicks for a fifth of those, unsubscribes for 2 % of them.
                if (outcome >= 0.27)
                {
                    continue;
                }

                yield return new ResponseRow("open", Iso(open), mailing, recipient, null, null);
                if (++written == count)
                {
                    yield break;
                }

                if (outcome < 0.07)
                {
                    yield return new ResponseRow("click", Iso(click), mailing, recipient, string.Create(CultureInfo.InvariantCulture, $"https://www.example.com/mailing/{mailing}/link-{link}"), null);
                    if (++written == count)
                    {
                        yield break;
                    }
                }

                if (outcome < 0.025)
                {
                    yield return new ResponseRow("unsubscribe", Iso(unsubscribe), mailing, recipient, null, null);
                    written++;
                }
            }
        }

        /// <summary>Writes the events into <c>responses_&lt;mailing&gt;_&lt;yyyyMMdd&gt;_1.csv</c> per mailing; returns the paths and the recipients named.</summary>
        public static async Task<(IReadOnlyList<string> Paths, int Recipients)> WriteAsync(string drop, int count, DateOnly day, CancellationToken cancellationToken)
        {
            var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
            var paths = new[] { CampaignMailing, ActivityMailing }.ToDictionary(m => m, m => Path.Combine(drop, string.Create(CultureInfo.InvariantCulture, $"responses_{m}_{day:yyyyMMdd}_1.csv")));
            var writers = paths.ToDictionary(p => p.Key, p => new StreamWriter(p.Value, utf8, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 64 * 1024 }) { NewLine = "\r\n" });
            var recipients = 0;
            try
            {
                foreach (var writer in writers.Values)
                {
                    await writer.WriteLineAsync(string.Join(',', Header).AsMemory(), cancellationToken);
                }

                var list = ListId.ToString(CultureInfo.InvariantCulture);
                var mailings = paths.Keys.ToDictionary(m => m, m => m.ToString(CultureInfo.InvariantCulture));
                foreach (var e in Events(count, day))
                {
                    recipients = Math.Max(recipients, e.Recipient + 1);
                    var writer = writers[e.MailingId];
                    writer.Write(e.Type);
                    writer.Write(',');
                    writer.Write(e.OccurredAt);
                    writer.Write(',');
                    writer.Write(mailings[e.MailingId]);
                    writer.Write(',');
                    writer.Write(RecipientId(e.Recipient));
                    writer.Write(',');
                    writer.Write(Email(e.Recipient));
                    writer.Write(',');
                    writer.Write(list);
                    writer.Write(',');
                    writer.Write(e.LinkUrl);
                    writer.Write(',');
                    writer.Write(e.BounceReason);
                    writer.Write("\r\n");
                }
            }
            finally
            {
                foreach (var writer in writers.Values)
                {
                    await writer.DisposeAsync();
                }
            }

            // A mailing without events (a tiny N) leaves a header-only file: the stage ingests it as a file of no rows.
            return ([.. paths.Values], recipients);
        }

        private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private sealed record ResponseRow(string Type, string OccurredAt, long MailingId, int Recipient, string? LinkUrl, string? BounceReason);

    /// <summary>The bench sets Ingest:SoftBounceThreshold, so the stage never asks the platform; a call would be a bench bug.</summary>
    private sealed class NoPlatform : IPlatformClientFactory
    {
        public IPlatformClient Create() => throw new InvalidOperationException("bench ingest has no platform: Ingest:SoftBounceThreshold is set");
    }

    /// <summary>Samples the managed heap every 20 ms: the peak the GC let it reach, beside the process's peak working set.</summary>
    private sealed class HeapSampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peak;

        public HeapSampler()
        {
            _peak = GC.GetTotalMemory(forceFullCollection: false);
            _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
        }

        public double PeakMb
        {
            get
            {
                Sample();
                return Interlocked.Read(ref _peak) / 1048576.0;
            }
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            var now = GC.GetTotalMemory(forceFullCollection: false);
            var seen = Interlocked.Read(ref _peak);
            while (now > seen)
            {
                var previous = Interlocked.CompareExchange(ref _peak, now, seen);
                if (previous == seen)
                {
                    return;
                }

                seen = previous;
            }
        }
    }

    private sealed record IngestBenchResult(
        int Events, int Recipients, int Files, int BatchSize,
        double IngestEventsPerSecond, double IngestSeconds, double IngestPeakMb, double IngestManagedPeakMb, double IngestAllocatedMb,
        int Gen0Collections, int Gen1Collections, int Gen2Collections,
        long Applied, long Ignored, long Rejected,
        double CsvFloorEventsPerSecond, double CsvFloorSeconds, double CsvFloorPeakMb,
        double SqliteFloorRowsPerSecond, double SqliteFloorSeconds, double SqliteFloorPeakMb,
        double LoadAverage, IReadOnlyDictionary<string, long> Details);
}
