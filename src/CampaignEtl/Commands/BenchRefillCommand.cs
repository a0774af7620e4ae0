using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml;
using CampaignEtl.Cli;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Refill;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using CsvHelper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>bench refill</c>: for each size, a child process builds a real workspace (journal, archive, a run whose
/// export attempt archived N synthetic recipients for one recipient list), then measures the real refill stage
/// (through the runner, as <c>run --run-id R --stage refill</c>) against the sandbox running in a process of its
/// own, and in the same process the floor: plain HttpClient posts of prebuilt <c>addAll3Flat</c> envelopes with
/// the same recipients, batch size and concurrency. Floor, refill, floor: each phase starts from an emptied list,
/// so the server does the same inserts; the floor is the mean of its two phases. Peak memory is the refill's own.
/// </summary>
internal static class BenchRefillCommand
{
    internal const long ListId = 2001;
    internal const long OptInId = 1;
    internal const string ListName = "bench-refill";

    // Ids are "003B" and 11 digits (15 characters, as CRM ids), so the floor can rewrite the digits in place.
    private const string IdPrefix = "003B";
    private const int IdDigits = 11;
    private const int MaxRecipients = 100_000_000;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    // Beyond the technical columns, in ordinal order as the export writes them.
    internal static readonly string[] ListAttributes = ["company", "country", "firstname", "lastname"];

    public static Command Build()
    {
        var recipients = new Option<int[]>("--recipients") { Description = "Recipients refilled per measurement (repeatable)", DefaultValueFactory = _ => [100_000, 1_000_000] };
        var folder = new Option<string>("--folder") { Description = "Scratch folder (deleted and recreated per size)", DefaultValueFactory = _ => Path.Combine("var", "bench-refill") };
        var json = new Option<bool>("--json") { Description = "One JSON object per size instead of the table" };
        var child = new Option<bool>("--child") { Hidden = true };
        var serve = new Option<bool>("--serve-sandbox") { Hidden = true };
        var refill = new Command("refill", "Benchmark the refill stage against plain addAll3Flat posts, both to the sandbox in a child process") { recipients, folder, json, child, serve };
        refill.SetAction(async (parse, token) =>
        {
            var sizes = parse.GetValue(recipients) ?? [];
            var root = Path.GetFullPath(parse.GetValue(folder)!);
            if (parse.GetValue(serve))
            {
                return await ServeAsync(root, token);
            }

            if (sizes.Length == 0 || sizes.Any(n => n is < 1 or > MaxRecipients))
            {
                await Console.Error.WriteLineAsync($"error: --recipients must be between 1 and {MaxRecipients.ToString(CultureInfo.InvariantCulture)}");
                return ExitCodes.Usage;
            }

            if (!BenchCommand.CanWrite(root, out var reason))
            {
                await Console.Error.WriteLineAsync($"error: --folder {root}: not writable ({reason})");
                return ExitCodes.Usage;
            }

            return parse.GetValue(child)
                ? await MeasureAsync(sizes[0], root, token)
                : await RunChildrenAsync(sizes, root, parse.GetValue(json), token);
        });
        return refill;
    }

    private static async Task<int> RunChildrenAsync(int[] sizes, string root, bool json, CancellationToken cancellationToken)
    {
        if (!json)
        {
            Console.Out.WriteLine($"{"recipients",12} {"refill rec/s",13} {"floor rec/s",12} {"ratio",6} {"refill s",9} {"floor s",8} {"refill CPU s",13} {"floor CPU s",12} {"sandbox CPU s",14} {"peak MB",8}");
        }

        var results = new List<RefillBenchResult>();
        foreach (var size in sizes)
        {
            var folder = Path.Combine(root, size.ToString(CultureInfo.InvariantCulture));
            using var process = Process.Start(BenchCommand.ThisProgram("bench", "refill", "--child", "--recipients", size.ToString(CultureInfo.InvariantCulture), "--folder", folder))!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"error: the measurement of {size} recipients failed (exit {process.ExitCode})");
                return ExitCodes.StageFailed;
            }

            var result = JsonSerializer.Deserialize<RefillBenchResult>(output.Trim().Split('\n')[^1], Json)!;
            results.Add(result);
            Console.Out.WriteLine(json ? JsonSerializer.Serialize(result, Json) : string.Create(CultureInfo.InvariantCulture,
                $"{result.Recipients,12:N0} {result.RefillRecipientsPerSecond,13:N0} {result.FloorRecipientsPerSecond,12:N0} {result.Ratio,6:0.00} {result.RefillSeconds,9:0.0} {result.FloorSeconds,8:0.0} {result.RefillCpuSeconds,13:0.0} {result.FloorCpuSeconds,12:0.0} {Server(result),14} {result.RefillPeakMb,8:N0}"));
        }

        if (results.Count > 1)
        {
            var smallest = results.MinBy(r => r.Recipients)!;
            var largest = results.MaxBy(r => r.Recipients)!;
            var peakRatio = largest.RefillPeakMb / smallest.RefillPeakMb;
            Console.Out.WriteLine(json
                ? JsonSerializer.Serialize(new { smallest = smallest.Recipients, largest = largest.Recipients, peakRatio }, Json)
                : string.Create(CultureInfo.InvariantCulture,
                    $"Peak memory of the refill at {largest.Recipients:N0} is {peakRatio:0.00}x that at {smallest.Recipients:N0}; ratio = refill time ÷ floor time (floor: plain HttpClient posts of prebuilt addAll3Flat envelopes, batch {largest.BatchSize}, {largest.Concurrency} at once, mean of the phases before and after the refill); CPU = this process's (the client side), sandbox CPU = the sandbox child's, refill/floor."));
        }

        return ExitCodes.Success;

        static string Server(RefillBenchResult r) => string.Create(CultureInfo.InvariantCulture, $"{r.RefillServerCpuSeconds:0.0}/{r.FloorServerCpuSeconds:0.0}");
    }

    /// <summary>The sandbox child: the bench list with the refill's attributes, its endpoint on standard output, until standard input closes.</summary>
    private static async Task<int> ServeAsync(string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var options = new SandboxOptions
        {
            DatabasePath = Path.Combine(folder, "sandbox.db"),
            DropFolder = Path.Combine(folder, "drop"),
            RecipientLists = { new SandboxListOptions { Id = ListId, Name = ListName, IsOptInList = true, Attributes = [.. ExportColumns.Technical.Skip(RefillColumns.FirstAttribute), .. ListAttributes] } },
        };
        await using var sandbox = await SandboxPlatform.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, cancellationToken);
        return await BenchSoapCommand.ServeUntilInputClosesAsync(sandbox, cancellationToken);
    }

    private static async Task<int> MeasureAsync(int recipients, string folder, CancellationToken cancellationToken)
    {
        ReadOnlyFiles.DeleteTree(folder);
        Directory.CreateDirectory(folder);
        var start = BenchCommand.ThisProgram("bench", "refill", "--serve-sandbox", "--folder", Path.Combine(folder, "sandbox"));
        start.RedirectStandardInput = true;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("the sandbox child process did not start");
        try
        {
            var endpoint = new Uri(await child.StandardOutput.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("the sandbox child process printed no endpoint"));
            return await MeasureAsync(recipients, folder, endpoint, child, cancellationToken);
        }
        finally
        {
            child.StandardInput.Close();
            await child.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<int> MeasureAsync(int recipients, string folder, Uri endpoint, Process sandboxProcess, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var sandbox = new SandboxOptions();
        var data = new DataOptions { Folder = Path.Combine(folder, "data") };
        var list = new RecipientListOptions
        {
            Name = ListName, ListId = ListId, OptInId = OptInId, Description = "bench refill",
            Attributes = ListAttributes.ToDictionary(a => a, a => a, StringComparer.Ordinal),
        };
        var platformOptions = new PlatformOptions { Endpoint = endpoint.ToString(), MandatorId = sandbox.MandatorId, User = sandbox.User, Password = sandbox.Password };
        var refillOptions = new RefillOptions();
        var batchSize = refillOptions.BatchSize;
        var concurrency = platformOptions.MaxConcurrency;
        using var factory = new PlatformClientFactory(Options.Create(platformOptions), time, NullLoggerFactory.Instance);
        var exportOptions = Options.Create(new ExportOptions { RecipientLists = [list] });
        var runOptions = Options.Create(new RunOptions());
        // The CRM is only written when the platform answers 2, 3 or 4 (suppressed addresses), which none of these does.
        var crm = new CrmDatabase(data.CrmDatabasePath, TimeSpan.FromSeconds(30));
        var refillStage = new RefillStage(Options.Create(refillOptions), exportOptions, runOptions, Options.Create(platformOptions), crm, factory, time, NullLogger<RefillStage>.Instance);
        var runner = new PipelineRunner([new SyntheticExportStage(list, recipients, batchSize), refillStage], Options.Create(data), runOptions,
            Options.Create(new ArchiveOptions { RetentionDays = 0 }), time, NullLogger<PipelineRunner>.Instance);

        var export = await runner.RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), cancellationToken);
        if (!export.Succeeded)
        {
            await Console.Error.WriteLineAsync("the synthetic export failed: " + export.Stages.Single().Error);
            return ExitCodes.StageFailed;
        }

        await using var client = factory.Create();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = endpoint, Timeout = TimeSpan.FromMinutes(2) };
        var floor = new Floor(http, await BenchSoapCommand.LoginAsync(http, cancellationToken), list, recipients, batchSize, concurrency);

        async Task<T> MeasuredAsync<T>(Func<Task<T>> phase, Action<Phase> done)
        {
            var cpu = BenchSoapCommand.ProcessCpu();
            var serverCpu = BenchSoapCommand.ChildCpu(sandboxProcess);
            var allocated = GC.GetTotalAllocatedBytes(precise: false);
            var collections = GC.CollectionCount(0);
            var watch = Stopwatch.StartNew();
            var result = await phase();
            done(new Phase(watch.Elapsed.TotalSeconds, (BenchSoapCommand.ProcessCpu() - cpu).TotalSeconds, (BenchSoapCommand.ChildCpu(sandboxProcess) - serverCpu).TotalSeconds,
                (GC.GetTotalAllocatedBytes(precise: false) - allocated) / 1048576.0, GC.CollectionCount(0) - collections));
            return result;
        }

        async Task<Phase> FloorPhaseAsync()
        {
            await client.Recipients.ClearAsync(ListId, cancellationToken);
            Phase? measured = null;
            await MeasuredAsync(async () => { await floor.RunAsync(cancellationToken); return 0; }, p => measured = p);
            var count = await client.Recipients.GetCountAsync(ListId, 0, cancellationToken);
            return count == recipients ? measured! : throw new InvalidOperationException($"floor: the list holds {count} recipients after {recipients} were posted");
        }

        var floor1 = await FloorPhaseAsync();

        // Emptied here too (outside the measurement), so the refill's own clear finds the same empty list the floor starts from.
        await client.Recipients.ClearAsync(ListId, cancellationToken);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        BenchCommand.ResetPeak();
        Phase? refillPhase = null;
        var refill = await MeasuredAsync(() => runner.RunAsync(new RunRequest([StageName.Refill], null, export.Run.RunId, false, RunTrigger.Manual), cancellationToken), p => refillPhase = p);
        var peak = BenchCommand.PeakMb();
        var stage = refill.Stages.Single();
        if (stage.Status != StageStatus.Succeeded || stage.Counts.RowsOut != recipients)
        {
            await Console.Error.WriteLineAsync($"the refill failed or accepted {stage.Counts.RowsOut.ToString(CultureInfo.InvariantCulture)} of {recipients.ToString(CultureInfo.InvariantCulture)}: {stage.Error}");
            return ExitCodes.StageFailed;
        }

        var floor2 = await FloorPhaseAsync();
        var floorSeconds = (floor1.Seconds + floor2.Seconds) / 2;
        var refillSeconds = stage.Duration.TotalSeconds;
        Console.Out.WriteLine(JsonSerializer.Serialize(new RefillBenchResult(
            recipients, batchSize, concurrency, recipients / refillSeconds, recipients / floorSeconds, refillSeconds / floorSeconds,
            refillSeconds, floorSeconds, peak, stage.Counts.PlatformCalls,
            refillPhase!.CpuSeconds, (floor1.CpuSeconds + floor2.CpuSeconds) / 2, refillPhase.ServerCpuSeconds, (floor1.ServerCpuSeconds + floor2.ServerCpuSeconds) / 2,
            [floor1 with { Name = "floor 1" }, refillPhase with { Name = "refill" }, floor2 with { Name = "floor 2" }]), Json));
        return ExitCodes.Success;
    }

    private static string Id(long row) => IdPrefix + row.ToString("D11", CultureInfo.InvariantCulture);

    /// <summary>A row's attribute values: the id, and otherwise its place in its batch only, so the floor's envelopes carry the refill's values.</summary>
    private static string?[] Values(RecipientListOptions list, long row, int batchSize)
    {
        var slot = row % batchSize;
        var text = slot.ToString(CultureInfo.InvariantCulture);
        return
        [
            list.Description, list.MediaType, slot % 4 == 0 ? "lead" : "contact", Id(row),
            slot % 10 == 0 ? "Zoë & <Ærø> \"Müller\" GmbH" : "Company " + text, "DE",
            "Firstname " + text, slot % 7 == 0 ? "Müller-Lüdenscheidt" : "Lastname",
        ];
    }

    private static string Email(long row) => "r" + Id(row) + "@example.org";

    /// <summary>
    /// A bench-only export: N rows in the real export format, archived through the real archive API under the
    /// real file name, so the refill finds, verifies and reads it as it would a nightly export.
    /// </summary>
    private sealed class SyntheticExportStage(RecipientListOptions list, int recipients, int batchSize) : IStage
    {
        public StageName Name => StageName.Export;

        public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

        public async Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
        {
            await using var file = context.RequireArchive().CreateFile(
                ExportFileNames.Export(list, context.Run.RunId, context.Attempt), "export", "outbound", new FileCounterpart("optimizely-campaign", list.ListId, list.OptInId));
            await using (var csv = CsvWriter.Create(file.Content, CsvFormats.Writer, leaveOpen: true))
            {
                csv.WriteHeader([.. ExportColumns.Technical, .. ListAttributes]);
                for (long row = 0; row < recipients; row++)
                {
                    var values = Values(list, row, batchSize);
                    csv.WriteField(Id(row));
                    csv.WriteField(Email(row));
                    csv.WriteField(list.OptInId!.Value.ToString(CultureInfo.InvariantCulture));
                    foreach (var value in values)
                    {
                        csv.WriteField(value);
                    }

                    csv.EndRecord();
                }

                await csv.FlushAsync(cancellationToken);
            }

            await file.CommitAsync(recipients, cancellationToken);
            return new StageCounts { RowsIn = recipients, RowsOut = recipients };
        }
    }

    /// <summary>
    /// The floor: one prebuilt envelope per batch size (full batches, and the last one if shorter), copied per
    /// concurrent sender; each call rewrites the 11 digits of every id in place (ids, addresses, entity-id).
    /// </summary>
    internal sealed class Floor
    {
        private readonly HttpClient _http;
        private readonly int _recipients;
        private readonly int _batchSize;
        private readonly int _concurrency;
        private readonly Template _full;
        private readonly Template? _last;

        public Floor(HttpClient http, string sessionId, RecipientListOptions list, int recipients, int batchSize, int concurrency)
        {
            _http = http;
            _recipients = recipients;
            _batchSize = batchSize;
            _concurrency = concurrency;
            _full = Template.Build(sessionId, list, Math.Min(batchSize, recipients), batchSize);
            _last = recipients > batchSize && recipients % batchSize != 0 ? Template.Build(sessionId, list, recipients % batchSize, batchSize) : null;
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var calls = (_recipients + _batchSize - 1) / _batchSize;
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, _concurrency).Select(async _ =>
            {
                var full = _full.Copy();
                var last = _last?.Copy();
                for (var call = Interlocked.Increment(ref next); call < calls; call = Interlocked.Increment(ref next))
                {
                    var envelope = call == calls - 1 && last is not null ? last : full;
                    envelope.SetFirstRow((long)call * _batchSize);
                    await PostAsync(envelope.Bytes, cancellationToken);
                }
            }));
        }

        private async Task PostAsync(byte[] envelope, CancellationToken cancellationToken)
        {
            using var content = new ByteArrayContent(envelope);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/xml; charset=utf-8");
            using var request = new HttpRequestMessage(HttpMethod.Post, "RpcRecipient") { Content = content };
            request.Headers.Add("SOAPAction", "\"\"");
            using var response = await _http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode || body.Length == 0)
            {
                throw new InvalidOperationException($"the plain post was answered HTTP {(int)response.StatusCode}");
            }
        }
    }

    private sealed class Template(byte[] bytes, int[] slots, int[] rows)
    {
        public byte[] Bytes { get; } = bytes;

        /// <summary>The batch's rows 0..count-1, written by the same helpers as <c>bench soap</c>'s envelope.</summary>
        public static Template Build(string sessionId, RecipientListOptions list, int count, int batchSize)
        {
            string?[] ids = [.. Enumerable.Range(0, count).Select(i => Id(i))];
            string?[] emails = [.. Enumerable.Range(0, count).Select(i => Email(i))];
            string?[] values = [.. Enumerable.Range(0, count).SelectMany(i => Values(list, i, batchSize))];
            string?[] names = [.. ExportColumns.Technical.Skip(RefillColumns.FirstAttribute), .. ListAttributes];
            using var stream = new MemoryStream();
            using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
            {
                writer.WriteStartDocument();
                writer.WriteStartElement("soapenv", "Envelope", BenchSoapCommand.Envelope);
                writer.WriteAttributeString("xmlns", "xsd", null, BenchSoapCommand.Xsd);
                writer.WriteAttributeString("xmlns", "xsi", null, BenchSoapCommand.Xsi);
                writer.WriteStartElement("soapenv", "Body", BenchSoapCommand.Envelope);
                writer.WriteStartElement("ns1", "addAll3Flat", BenchSoapCommand.RecipientNamespace);
                writer.WriteAttributeString("encodingStyle", BenchSoapCommand.Envelope, BenchSoapCommand.Encoding);
                writer.WriteAttributeString("xmlns", "soapenc", null, BenchSoapCommand.Encoding);
                BenchSoapCommand.Batch.Scalar(writer, "in0", "xsd:string", sessionId);
                BenchSoapCommand.Batch.Scalar(writer, "in1", "xsd:long", list.ListId.ToString(CultureInfo.InvariantCulture));
                BenchSoapCommand.Batch.Scalar(writer, "in2", "xsd:long", list.OptInId!.Value.ToString(CultureInfo.InvariantCulture));
                BenchSoapCommand.Batch.Array(writer, "in3", ids);
                BenchSoapCommand.Batch.Array(writer, "in4", emails);
                BenchSoapCommand.Batch.Array(writer, "in5", names);
                BenchSoapCommand.Batch.Array(writer, "in6", values);
                writer.WriteEndElement();
                writer.WriteEndElement();
                writer.WriteEndElement();
                writer.WriteEndDocument();
            }

            var bytes = stream.ToArray();
            var prefix = Encoding.ASCII.GetBytes(IdPrefix);
            var found = new List<(int Slot, int Row)>();
            for (var at = bytes.AsSpan().IndexOf(prefix); at >= 0;)
            {
                var start = at + prefix.Length;
                var digits = bytes.AsSpan(start, Math.Min(IdDigits, bytes.Length - start));
                if (digits.Length == IdDigits && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
                {
                    found.Add((start, int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture)));
                }

                var next = bytes.AsSpan(start).IndexOf(prefix);
                at = next < 0 ? -1 : start + next;
            }

            // Every row's id three times: the id, the address and the entity-id attribute.
            if (found.Count != 3 * count)
            {
                throw new InvalidOperationException($"{found.Count} id slots in the envelope, {3 * count} expected");
            }

            return new Template(bytes, [.. found.Select(f => f.Slot)], [.. found.Select(f => f.Row)]);
        }

        public Template Copy() => new([.. Bytes], slots, rows);

        public void SetFirstRow(long first)
        {
            Span<byte> digits = stackalloc byte[IdDigits];
            for (var i = 0; i < slots.Length; i++)
            {
                (first + rows[i]).TryFormat(digits, out _, "D11", CultureInfo.InvariantCulture);
                digits.CopyTo(Bytes.AsSpan(slots[i]));
            }
        }
    }

    private sealed record RefillBenchResult(
        int Recipients, int BatchSize, int Concurrency, double RefillRecipientsPerSecond, double FloorRecipientsPerSecond, double Ratio,
        double RefillSeconds, double FloorSeconds, double RefillPeakMb, long PlatformCalls,
        double RefillCpuSeconds, double FloorCpuSeconds, double RefillServerCpuSeconds, double FloorServerCpuSeconds, IReadOnlyList<Phase> Phases);

    /// <summary>One measured phase: wall seconds, CPU seconds of this process (the client side) and of the sandbox process, MB allocated here, gen-0 collections.</summary>
    private sealed record Phase(double Seconds, double CpuSeconds, double ServerCpuSeconds, double AllocatedMb, int Gen0Collections)
    {
        public string Name { get; init; } = string.Empty;
    }
}
