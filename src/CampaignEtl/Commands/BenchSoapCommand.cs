using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using CampaignEtl.Cli;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>bench soap</c>: the platform client's cost per <c>addAll3Flat</c> call (1000 recipients, 10 attributes)
/// against the sandbox, next to its floor in the same run: a plain <see cref="HttpClient"/> POST of a prebuilt
/// envelope of the same shape and size to the same sandbox. Both phases insert fresh recipients (the list is
/// cleared before each phase, every call carries new ids), so the server does the same work in both. By default
/// the sandbox runs in this process, so its CPU is in both figures and only their difference is the client's own;
/// <c>--sandbox-process</c> runs it in a child process, so this process's CPU is the client's (or the floor's) alone
/// and the child's CPU is reported as the server's. The client's codec is internal to CampaignEtl.Platform, so it
/// is measured end to end only, through the public <see cref="IPlatformClientFactory"/>.
/// </summary>
internal static class BenchSoapCommand
{
    private const long ListId = 1001;
    private const int Recipients = 1000;
    private const int AttributeCount = 10;
    private const string User = "api-user";
    private const string Password = "sandbox-password";
    private const long MandatorId = 1000;

    // Every call of both phases and their warm-ups needs its own 6-digit call number.
    private const int MaxCalls = 100_000;

    // The ids carry the call number in a fixed-width slot, so the floor's prebuilt envelope is patched in place.
    private const string CallSlot = "c000000";
    internal const string Envelope = "http://schemas.xmlsoap.org/soap/envelope/";
    internal const string Encoding = "http://schemas.xmlsoap.org/soap/encoding/";
    internal const string Xsd = "http://www.w3.org/2001/XMLSchema";
    internal const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    internal const string RecipientNamespace = "urn:api.broadmail.de/soap11/RpcRecipient";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly string[] AttributeNames = [.. Enumerable.Range(1, AttributeCount).Select(i => "attribute" + i.ToString("D2", CultureInfo.InvariantCulture))];

    public static Command Build(Option<string?> config)
    {
        var calls = new Option<int>("--calls") { Description = "Measured addAll3Flat calls per phase (after a warm-up)", DefaultValueFactory = _ => 200 };
        var warmUpOption = new Option<int>("--warmup") { Description = "Unmeasured calls of each kind, alternating, before the measured phases", DefaultValueFactory = _ => 200 };
        var json = new Option<bool>("--json") { Description = "One JSON object instead of the table" };
        var separate = new Option<bool>("--sandbox-process") { Description = "Run the sandbox in a child process, so this process's CPU is the client's alone" };
        var serve = new Option<bool>("--serve-sandbox") { Hidden = true };
        var soap = new Command("soap", "Benchmark the SOAP client's CPU per addAll3Flat call (1000 x 10) against a plain HttpClient post, both to the sandbox") { calls, warmUpOption, json, separate, serve };
        soap.SetAction(async (parse, token) =>
        {
            if (parse.GetValue(serve))
            {
                return await ServeAsync(token);
            }

            var n = parse.GetValue(calls);
            if (n is < 1 or > MaxCalls)
            {
                await Console.Error.WriteLineAsync($"error: --calls = {n.ToString(CultureInfo.InvariantCulture)}: must be between 1 and {MaxCalls.ToString(CultureInfo.InvariantCulture)}");
                return ExitCodes.Usage;
            }

            var w = parse.GetValue(warmUpOption);
            if (w is < 0 or > MaxCalls)
            {
                await Console.Error.WriteLineAsync($"error: --warmup = {w.ToString(CultureInfo.InvariantCulture)}: must be between 0 and {MaxCalls.ToString(CultureInfo.InvariantCulture)}");
                return ExitCodes.Usage;
            }

            return await MeasureAsync(n, w, parse.GetValue(json), parse.GetValue(separate), token);
        });
        return soap;
    }

    private static Task<SandboxPlatform> StartSandboxAsync(CancellationToken cancellationToken) =>
        SandboxPlatform.StartAsync(
            new SandboxOptions
            {
                MandatorId = MandatorId,
                User = User,
                Password = Password,
                RecipientLists = { new SandboxListOptions { Id = ListId, Name = "bench", Attributes = AttributeNames } },
            },
            TimeProvider.System,
            NullLoggerFactory.Instance,
            cancellationToken);

    /// <summary>The child of <c>--sandbox-process</c>: the sandbox, its endpoint on standard output, until standard input closes.</summary>
    private static async Task<int> ServeAsync(CancellationToken cancellationToken)
    {
        await using var sandbox = await StartSandboxAsync(cancellationToken);
        return await ServeUntilInputClosesAsync(sandbox, cancellationToken);
    }

    /// <summary>A sandbox child's life: its endpoint alone on standard output, then serving until the parent closes standard input.</summary>
    internal static async Task<int> ServeUntilInputClosesAsync(SandboxPlatform sandbox, CancellationToken cancellationToken)
    {
        await Console.Out.WriteLineAsync(sandbox.Endpoint.ToString());
        await Console.Out.FlushAsync(cancellationToken);
        await Console.In.ReadToEndAsync(cancellationToken);
        return ExitCodes.Success;
    }

    private static Process StartChild()
    {
        var start = BenchCommand.ThisProgram("bench", "soap", "--serve-sandbox");
        start.RedirectStandardInput = true;
        return Process.Start(start) ?? throw new InvalidOperationException("the sandbox child process did not start");
    }

    private static async Task<int> MeasureAsync(int calls, int warmUp, bool json, bool separate, CancellationToken cancellationToken)
    {
        using var child = separate ? StartChild() : null;
        await using var sandbox = separate ? null : await StartSandboxAsync(cancellationToken);
        try
        {
            var endpoint = sandbox?.Endpoint ?? new Uri(await child!.StandardOutput.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("the sandbox child process printed no endpoint"));
            return await MeasureAsync(calls, warmUp, json, endpoint, child, cancellationToken);
        }
        finally
        {
            if (child is not null)
            {
                child.StandardInput.Close();
                await child.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<int> MeasureAsync(int calls, int warmUp, bool json, Uri endpoint, Process? child, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:Endpoint"] = endpoint.ToString(),
            ["Platform:MandatorId"] = MandatorId.ToString(CultureInfo.InvariantCulture),
            ["Platform:User"] = User,
            ["Platform:Password"] = Password,
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddPlatformClient(configuration).BuildServiceProvider();
        await using var client = provider.GetRequiredService<IPlatformClientFactory>().Create();
        using var http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromMinutes(2) };

        var batch = new Batch();
        var sessionId = await LoginAsync(http, cancellationToken);
        var envelope = batch.Envelope(sessionId);
        // Per phase, after its clear: a few calls so the phase's own path is hot again after the other kind ran.
        const int PhaseWarmUp = 10;
        var callNumber = 0;

        // A measured client phase takes its calls' ids and addresses made before it starts, as the floor's envelope is:
        // making 2000 strings a call is the bench's input, not the client's work.
        var prepared = new Queue<(string[] Ids, string[] Emails)>();

        async Task ClientCallAsync()
        {
            ++callNumber;
            var (ids, emails) = prepared.Count > 0 ? prepared.Dequeue() : Batch.For(callNumber);
            var codes = await client.Recipients.AddAll3FlatAsync(ListId, 0, ids, emails, AttributeNames, batch.Values, cancellationToken);
            if (codes.Any(c => c != RecipientResultCode.Inserted))
            {
                throw new InvalidOperationException($"addAll3Flat answered {string.Join(',', codes.Where(c => c != RecipientResultCode.Inserted).Distinct())} where 0 was expected");
            }
        }

        // The floors' post: the prebuilt envelope with the next call number, as the client would send it.
        HttpRequestMessage NextFloorRequest()
        {
            envelope.SetCall(++callNumber);
            var content = new ByteArrayContent(envelope.Bytes);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/xml; charset=utf-8");
            var request = new HttpRequestMessage(HttpMethod.Post, "RpcRecipient") { Content = content };
            request.Headers.Add("SOAPAction", "\"\"");
            return request;
        }

        async Task FloorCallAsync()
        {
            using var request = NextFloorRequest();
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode || body.Length == 0)
            {
                throw new InvalidOperationException($"the plain post was answered HTTP {(int)response.StatusCode}");
            }
        }

        // The floor again, reading its answer into one reused buffer instead of a new array per call. A 214 KB answer
        // lands on the large-object heap, and the plain floor's gen-2 collections are CPU that the client, reading into
        // WCF's pooled buffers, does not spend: the stricter reference, reported beside the floor.
        var answer = new byte[1 << 20];
        async Task PooledFloorCallAsync()
        {
            using var request = NextFloorRequest();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var length = 0;
            for (int read; (read = await body.ReadAsync(answer.AsMemory(length), cancellationToken)) > 0;)
            {
                length += read;
                if (length == answer.Length)
                {
                    Array.Resize(ref answer, answer.Length * 2);
                }
            }

            if (!response.IsSuccessStatusCode || length == 0)
            {
                throw new InvalidOperationException($"the plain post was answered HTTP {(int)response.StatusCode}");
            }
        }

        async Task<Phase> PhaseAsync(string name, Func<Task> call, bool prepare)
        {
            await client.Recipients.ClearAsync(ListId, cancellationToken);
            for (var i = 0; i < PhaseWarmUp; i++)
            {
                await call();
            }

            await client.Recipients.ClearAsync(ListId, cancellationToken);
            for (var i = 0; prepare && i < calls; i++)
            {
                prepared.Enqueue(Batch.For(callNumber + 1 + i));
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            BenchCommand.ResetPeak();
            var cpu = ProcessCpu();
            var serverCpu = ChildCpu(child);
            var allocated = GC.GetTotalAllocatedBytes(precise: false);
            var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                await call();
            }

            wall.Stop();
            var cpuSpent = ProcessCpu() - cpu;
            var allocatedKb = (GC.GetTotalAllocatedBytes(precise: false) - allocated) / 1024.0 / calls;
            var gcs = new GcCounts(GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
            var serverCpuSpent = ChildCpu(child) - serverCpu;
            var peak = BenchCommand.PeakMb();
            var count = await client.Recipients.GetCountAsync(ListId, 0, cancellationToken);
            if (count != calls * Recipients)
            {
                throw new InvalidOperationException($"{name}: the list holds {count} recipients after {calls} calls of {Recipients}");
            }

            return new Phase(cpuSpent.TotalMilliseconds / calls, serverCpuSpent.TotalMilliseconds / calls, wall.Elapsed.TotalMilliseconds / calls, calls / wall.Elapsed.TotalSeconds, peak) { AllocatedKbPerCall = allocatedKb, Gcs = gcs };
        }

        // Warm-up of both paths, alternating, until JIT tiers (with PGO), the heap and both processes settle: measured
        // runs showed the first 50 calls of a path clearly dearer than the later ones, in the sandbox as much as here.
        for (var i = 0; i < warmUp; i++)
        {
            if (i % 100 == 0)
            {
                await client.Recipients.ClearAsync(ListId, cancellationToken);
            }

            await FloorCallAsync();
            await PooledFloorCallAsync();
            await ClientCallAsync();
        }

        // Floor, pooled floor, client, client, pooled floor, floor (ABCCBA), so warming up (JIT tiers, SQLite cache) and
        // a growing database weigh on all alike; each phase starts from an empty list and a collected heap; a kind's
        // figures are its two phases' mean.
        var floor1 = await PhaseAsync("floor", FloorCallAsync, prepare: false);
        var pooled1 = await PhaseAsync("pooled floor", PooledFloorCallAsync, prepare: false);
        var ours1 = await PhaseAsync("client", ClientCallAsync, prepare: true);
        var ours2 = await PhaseAsync("client", ClientCallAsync, prepare: true);
        var pooled2 = await PhaseAsync("pooled floor", PooledFloorCallAsync, prepare: false);
        var floor2 = await PhaseAsync("floor", FloorCallAsync, prepare: false);
        var floor = Phase.Mean(floor1, floor2);
        var pooled = Phase.Mean(pooled1, pooled2);
        var ours = Phase.Mean(ours1, ours2);
        var result = new SoapBenchResult(
            calls, warmUp, Recipients, AttributeCount, envelope.Bytes.Length, child is not null,
            ours.CpuMs, floor.CpuMs, ours.CpuMs / floor.CpuMs, ours.CpuMs - floor.CpuMs,
            ours.WallMs, floor.WallMs, ours.CallsPerSecond, floor.CallsPerSecond,
            ours.CallsPerSecond * Recipients, floor.CallsPerSecond * Recipients,
            ours.PeakMb, floor.PeakMb, child is null ? null : ours.ServerCpuMs, child is null ? null : floor.ServerCpuMs, client.Calls.Total,
            ours.AllocatedKbPerCall, floor.AllocatedKbPerCall, ours.Gcs, floor.Gcs,
            pooled with { Name = "pooled floor" }, ours.CpuMs / pooled.CpuMs,
            [floor1 with { Name = "floor 1" }, pooled1 with { Name = "pooled 1" }, ours1 with { Name = "client 1" }, ours2 with { Name = "client 2" }, pooled2 with { Name = "pooled 2" }, floor2 with { Name = "floor 2" }]);
        Console.Out.WriteLine(json ? JsonSerializer.Serialize(result, Json) : Table(result));
        return ExitCodes.Success;
    }

    private static string Table(SoapBenchResult r)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"addAll3Flat, {r.Recipients} recipients x {r.Attributes} attributes; phases floor, pooled floor, client, client, pooled floor, floor of {r.Calls} calls, after {r.WarmUpCalls} warm-up calls of each kind (and 10 per phase); means per kind, peak = the higher, GCs = both phases' sum, alloc = this process's managed bytes per call; envelope {r.EnvelopeBytes / 1024.0:N0} KiB; sandbox {(r.SandboxInChildProcess ? "in a child process (its CPU not in the CPU column)" : "in this process (its CPU in both CPU figures)")}"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"phase",-8} {"CPU ms/call",12} {"server CPU ms",14} {"wall ms/call",13} {"calls/s",9} {"recipients/s",13} {"peak MB",8} {"alloc KiB",10} {"GCs 0/1/2",10}"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"floor",-8} {r.FloorCpuMsPerCall,12:0.000} {Server(r.FloorServerCpuMsPerCall),14} {r.FloorWallMsPerCall,13:0.000} {r.FloorCallsPerSecond,9:0.0} {r.FloorRecipientsPerSecond,13:N0} {r.FloorPeakMb,8:N0} {r.FloorAllocatedKbPerCall,10:N0} {r.FloorGcs,10}"));
        var p = r.PooledFloor;
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"pooled",-8} {p.CpuMs,12:0.000} {(r.SandboxInChildProcess ? p.ServerCpuMs.ToString("0.000", CultureInfo.InvariantCulture) : "(in CPU)"),14} {p.WallMs,13:0.000} {p.CallsPerSecond,9:0.0} {p.CallsPerSecond * r.Recipients,13:N0} {p.PeakMb,8:N0} {p.AllocatedKbPerCall,10:N0} {p.Gcs,10}"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"client",-8} {r.ClientCpuMsPerCall,12:0.000} {Server(r.ClientServerCpuMsPerCall),14} {r.ClientWallMsPerCall,13:0.000} {r.ClientCallsPerSecond,9:0.0} {r.ClientRecipientsPerSecond,13:N0} {r.ClientPeakMb,8:N0} {r.ClientAllocatedKbPerCall,10:N0} {r.ClientGcs,10}"));
        foreach (var phase in r.Phases)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {phase.Name,-8} {phase.CpuMs,10:0.000} {(r.SandboxInChildProcess ? phase.ServerCpuMs.ToString("0.000", CultureInfo.InvariantCulture) : "(in CPU)"),14} {phase.WallMs,13:0.000} {phase.CallsPerSecond,9:0.0} {phase.CallsPerSecond * r.Recipients,13:N0} {phase.PeakMb,8:N0} {phase.AllocatedKbPerCall,10:N0} {phase.Gcs,10}"));
        }

        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"CPU ratio client/floor = {r.CpuRatio:0.00} (aim <= 1.5); the client's CPU above the floor = {r.ClientOverheadCpuMsPerCall:0.000} ms/call; client calls counted: {r.ClientCallsCounted}"));
        text.Append(string.Create(CultureInfo.InvariantCulture, $"CPU ratio client/pooled floor = {r.CpuRatioToPooledFloor:0.00} (the floor reading its answer into a reused buffer: no large-object array and gen-2 collection per call)"));
        return text.ToString();

        static string Server(double? ms) => ms is { } value ? value.ToString("0.000", CultureInfo.InvariantCulture) : "(in CPU)";
    }

    /// <summary>A plain login, so the floor's envelope carries a live session and the server does the real work.</summary>
    internal static async Task<string> LoginAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var body = string.Create(CultureInfo.InvariantCulture, $"""
            <?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="{Envelope}" xmlns:xsd="{Xsd}" xmlns:xsi="{Xsi}"><soapenv:Body><ns1:login soapenv:encodingStyle="{Encoding}" xmlns:ns1="urn:api.broadmail.de/soap11/RpcSession"><in0 xsi:type="xsd:long">{MandatorId}</in0><in1 xsi:type="xsd:string">{User}</in1><in2 xsi:type="xsd:string">{Password}</in2></ns1:login></soapenv:Body></soapenv:Envelope>
            """);
        using var content = new StringContent(body, new UTF8Encoding(false), "text/xml");
        using var request = new HttpRequestMessage(HttpMethod.Post, "RpcSession") { Content = content };
        request.Headers.Add("SOAPAction", "\"\"");
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var answer = XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return answer.Descendants().First(e => e.Name.LocalName == "loginReturn").Value;
    }

    internal static TimeSpan ChildCpu(Process? child)
    {
        if (child is null)
        {
            return TimeSpan.Zero;
        }

        child.Refresh();
        return child.TotalProcessorTime;
    }

    internal static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>One batch: ids and addresses carry the call number (so every call inserts), values are fixed and include non-ASCII and XML-special text.</summary>
    internal sealed class Batch
    {
        public Batch()
        {
            for (var i = 0; i < Recipients; i++)
            {
                for (var j = 0; j < AttributeCount; j++)
                {
                    Values[(i * AttributeCount) + j] = (i + j) % 10 == 0
                        ? "Zoë & <Ærø> \"Müller\" " + i.ToString(CultureInfo.InvariantCulture)
                        : string.Create(CultureInfo.InvariantCulture, $"value {j}-{i} of the bench row");
                }
            }

            SetCall(0);
        }

        public string[] Ids { get; } = new string[Recipients];

        public string[] Emails { get; } = new string[Recipients];

        public string?[] Values { get; } = new string?[Recipients * AttributeCount];

        /// <summary>The ids and addresses of one call, in new arrays.</summary>
        public static (string[] Ids, string[] Emails) For(int call)
        {
            var ids = new string[Recipients];
            var emails = new string[Recipients];
            for (var i = 0; i < Recipients; i++)
            {
                ids[i] = Id(call, i);
                emails[i] = ids[i] + "@example.org";
            }

            return (ids, emails);
        }

        public void SetCall(int call)
        {
            for (var i = 0; i < Recipients; i++)
            {
                Ids[i] = Id(call, i);
                Emails[i] = Ids[i] + "@example.org";
            }
        }

        public PreparedEnvelope Envelope(string sessionId)
        {
            SetCall(0);
            using var stream = new MemoryStream();
            using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
            {
                writer.WriteStartDocument();
                writer.WriteStartElement("soapenv", "Envelope", BenchSoapCommand.Envelope);
                writer.WriteAttributeString("xmlns", "xsd", null, Xsd);
                writer.WriteAttributeString("xmlns", "xsi", null, Xsi);
                writer.WriteStartElement("soapenv", "Body", BenchSoapCommand.Envelope);
                writer.WriteStartElement("ns1", "addAll3Flat", RecipientNamespace);
                writer.WriteAttributeString("encodingStyle", BenchSoapCommand.Envelope, Encoding);
                writer.WriteAttributeString("xmlns", "soapenc", null, Encoding);
                Scalar(writer, "in0", "xsd:string", sessionId);
                Scalar(writer, "in1", "xsd:long", ListId.ToString(CultureInfo.InvariantCulture));
                Scalar(writer, "in2", "xsd:long", "0");
                Array(writer, "in3", Ids);
                Array(writer, "in4", Emails);
                Array(writer, "in5", AttributeNames);
                Array(writer, "in6", Values);
                writer.WriteEndElement();
                writer.WriteEndElement();
                writer.WriteEndElement();
                writer.WriteEndDocument();
            }

            return new PreparedEnvelope(stream.ToArray());
        }

        // "c000000-r0000": the call slot, then the row.
        private static string Id(int call, int row) => string.Create(CultureInfo.InvariantCulture, $"c{call:D6}-r{row:D4}");

        internal static void Scalar(XmlWriter writer, string name, string type, string value)
        {
            writer.WriteStartElement(name);
            writer.WriteAttributeString("type", Xsi, type);
            writer.WriteString(value);
            writer.WriteEndElement();
        }

        // As the client writes arrays: soapenc:Array with soapenc:arrayType, items without xsi:type.
        internal static void Array(XmlWriter writer, string name, string?[] values)
        {
            writer.WriteStartElement(name);
            writer.WriteAttributeString("type", Xsi, "soapenc:Array");
            writer.WriteAttributeString("arrayType", Encoding, "xsd:string[" + values.Length.ToString(CultureInfo.InvariantCulture) + "]");
            foreach (var value in values)
            {
                writer.WriteStartElement("item");
                if (value is null)
                {
                    writer.WriteAttributeString("nil", Xsi, "true");
                }
                else
                {
                    writer.WriteString(value);
                }

                writer.WriteEndElement();
            }

            writer.WriteEndElement();
        }
    }

    /// <summary>The floor's envelope, built once; each call rewrites the 6 call digits of every id and address in place.</summary>
    internal sealed class PreparedEnvelope
    {
        private readonly int[] slots;

        public PreparedEnvelope(byte[] bytes)
        {
            Bytes = bytes;
            var marker = System.Text.Encoding.ASCII.GetBytes(CallSlot + "-r");
            var found = new List<int>(2 * Recipients);
            for (var at = bytes.AsSpan().IndexOf(marker); at >= 0;)
            {
                found.Add(at + 1);
                var next = bytes.AsSpan(at + marker.Length).IndexOf(marker);
                at = next < 0 ? -1 : at + marker.Length + next;
            }

            if (found.Count != 2 * Recipients)
            {
                throw new InvalidOperationException($"{found.Count} call slots in the envelope, {2 * Recipients} expected");
            }

            slots = [.. found];
        }

        public byte[] Bytes { get; }

        public void SetCall(int call)
        {
            Span<byte> digits = stackalloc byte[6];
            call.TryFormat(digits, out _, "D6", CultureInfo.InvariantCulture);
            foreach (var slot in slots)
            {
                digits.CopyTo(Bytes.AsSpan(slot));
            }
        }
    }

    private sealed record Phase(double CpuMs, double ServerCpuMs, double WallMs, double CallsPerSecond, double PeakMb)
    {
        public string Name { get; init; } = string.Empty;

        /// <summary>Managed bytes allocated in this process per call, in KiB (the sandbox child's are not counted).</summary>
        public double AllocatedKbPerCall { get; init; }

        /// <summary>Collections during the phase, per generation (a gen2 also counts as gen1 and gen0).</summary>
        public GcCounts Gcs { get; init; } = new(0, 0, 0);

        public static Phase Mean(Phase a, Phase b)
        {
            var wall = (a.WallMs + b.WallMs) / 2;
            return new((a.CpuMs + b.CpuMs) / 2, (a.ServerCpuMs + b.ServerCpuMs) / 2, wall, 1000 / wall, Math.Max(a.PeakMb, b.PeakMb))
            {
                AllocatedKbPerCall = (a.AllocatedKbPerCall + b.AllocatedKbPerCall) / 2,
                Gcs = new(a.Gcs.Gen0 + b.Gcs.Gen0, a.Gcs.Gen1 + b.Gcs.Gen1, a.Gcs.Gen2 + b.Gcs.Gen2),
            };
        }
    }

    private sealed record GcCounts(int Gen0, int Gen1, int Gen2)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Gen0}/{Gen1}/{Gen2}");
    }

    private sealed record SoapBenchResult(
        int Calls, int WarmUpCalls, int Recipients, int Attributes, int EnvelopeBytes, bool SandboxInChildProcess,
        double ClientCpuMsPerCall, double FloorCpuMsPerCall, double CpuRatio, double ClientOverheadCpuMsPerCall,
        double ClientWallMsPerCall, double FloorWallMsPerCall, double ClientCallsPerSecond, double FloorCallsPerSecond,
        double ClientRecipientsPerSecond, double FloorRecipientsPerSecond,
        double ClientPeakMb, double FloorPeakMb, double? ClientServerCpuMsPerCall, double? FloorServerCpuMsPerCall, long ClientCallsCounted,
        double ClientAllocatedKbPerCall, double FloorAllocatedKbPerCall, GcCounts ClientGcs, GcCounts FloorGcs,
        Phase PooledFloor, double CpuRatioToPooledFloor,
        IReadOnlyList<Phase> Phases);
}
