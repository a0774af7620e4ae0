using System.Net;
using System.Net.Sockets;
using System.Xml;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;
using CampaignEtl.Platform.Transport;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.Tests.Platform;

/// <summary>Every typed method sends the operation it names with arguments that fit the contract's part types.</summary>
public sealed class PlatformOperationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TypedMethods_CoverEveryContractOperation_WithArgumentsOfTheDeclaredTypes()
    {
        var transport = new RecordingTransport();
        var options = new PlatformOptions { MandatorId = 1, User = "u", Password = "secret" };
        await using (var client = new PlatformClient(transport, options, new FakeTimeProvider()) { ClosedLoopPageSize = 10 })
        {
            var since = DateTimeOffset.FromUnixTimeMilliseconds(0);
            await client.Recipients.ClearAsync(1, Ct);
            await client.Recipients.AddAll3Async(1, 0, ["r"], ["r@x.org"], ["a"], [["v"]], Ct);
            await client.Recipients.AddAll3FlatAsync(1, 0, ["r"], ["r@x.org"], ["a"], ["v"], Ct);
            await client.Recipients.GetCountAsync(1, 0, Ct);
            await client.Recipients.GetAllAdvancedFlatAsync(1, ["a"], 0, null, true, 0, 100, Ct);
            await client.Recipients.RemoveAllAsync(1, ["r"], Ct);
            await client.Unsubscribes.AddAllAsync(1, ["r"], Ct);
            await client.Unsubscribes.ContainsAllAsync(["r"], Ct);
            await client.Unsubscribes.GetCountAsync(Ct);
            await client.Blacklist.GetAllAdvancedFlatAsync(0, 100, Ct);
            await client.Blacklist.AreBlacklistedAsync(["r@x.org"], Ct);
            await client.ClosedLoop.GetCurrentTimeAsync(Ct);
            await Drain(client.ClosedLoop.GetOutBouncesAsync(since, since, Ct));
            await Drain(client.ClosedLoop.GetResponsesAsync(since, since, Ct));
            await Drain(client.ClosedLoop.GetUnsubscribesAsync(since, since, Ct));
            await Drain(client.ClosedLoop.GetMailingUnsubscribesAsync(since, since, Ct));
            await Drain(client.ClosedLoop.GetOpensAsync(since, since, Ct));
            await Drain(client.ClosedLoop.GetClicksAsync(since, since, Ct));
            await Drain(client.ClosedLoop.GetMailingsAsync(since, since, Ct));
            await client.Responses.GetBounceCounterThresholdAsync("hardbounce", Ct);
        }

        transport.Sent.Distinct().ShouldBe(PlatformContract.Operations.Select(o => o.Key), ignoreOrder: true);
    }

    [Fact]
    public void RetryDelay_Doubles_FromTheBaseDelay_UpToFiveMinutes()
    {
        var retry = new PlatformRetryOptions { BaseDelay = TimeSpan.FromSeconds(1) };

        Enumerable.Range(1, 4).Select(retry.DelayBefore).ShouldBe([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)]);
        retry.DelayBefore(30).ShouldBe(TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Retry_WaitsTheBackoffOnTheTimeProvider()
    {
        var transport = new RecordingTransport { FailFirst = 1, FailOperation = "RecipientWebservice.getCount" };
        var time = new FakeTimeProvider();
        var options = new PlatformOptions { MandatorId = 1, User = "u", Password = "secret", Retry = new PlatformRetryOptions { Attempts = 2, BaseDelay = TimeSpan.FromSeconds(30) } };
        await using var client = new PlatformClient(transport, options, time);

        var call = client.Recipients.GetCountAsync(1, 0, Ct);
        await WaitUntil(() => transport.Sent.Count == 2);
        call.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(29));
        call.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(1));

        (await call).ShouldBe(0);
        transport.Sent.ShouldBe(["SessionWebservice.login", "RecipientWebservice.getCount", "RecipientWebservice.getCount"]);
    }

    [Fact]
    public async Task Transport_ConnectionDroppedWithoutAnswer_IsTransient()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var dropper = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(Ct);
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer, Ct);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }, Ct);
        using var transport = new WcfSoapTransport(new PlatformOptions { Endpoint = $"http://127.0.0.1:{port}/soap11/", Timeout = TimeSpan.FromSeconds(10) });

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(PlatformContract.Recipient.Clear, [SoapArg.String("s"), SoapArg.Long(1)], new RpcRead<int>(static _ => 0), new SecretScrubber(), Ct));

        ex.IsTransient.ShouldBeTrue();
        ex.Message.ShouldStartWith("RecipientWebservice.clear: ");
        await dropper;
    }

    [Fact]
    public async Task Transport_NoAnswerWithinTimeout_IsTransientAndNamesTheKey()
    {
        await using var server = new CannedSoapServer(_ =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(3));
            return CannedResponse.Fixture("clear_void.xml");
        });
        using var transport = new WcfSoapTransport(new PlatformOptions { Endpoint = server.Endpoint.ToString(), Timeout = TimeSpan.FromSeconds(1) });

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(PlatformContract.Recipient.Clear, [SoapArg.String("s"), SoapArg.Long(1)], new RpcRead<int>(static _ => 0), new SecretScrubber(), Ct));

        ex.IsTransient.ShouldBeTrue();
        ex.Message.ShouldBe("RecipientWebservice.clear: no answer within the timeout of 00:00:01 (Platform:Timeout)");
    }

    private static async Task Drain(IAsyncEnumerable<IReadOnlyList<string?>> rows)
    {
        await foreach (var _ in rows)
        {
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        condition().ShouldBeTrue();
    }

    /// <summary>Writes each request with the real writer (which refuses mistyped parts) and answers from a neutral fixture.</summary>
    private sealed class RecordingTransport : ISoapTransport
    {
        public List<string> Sent { get; } = [];

        public int FailFirst { get; init; }

        public string? FailOperation { get; init; }

        public Task<T> SendAsync<T>(PlatformOperation operation, SoapArg[] args, RpcRead<T> read, SecretScrubber scrubber, CancellationToken cancellationToken)
        {
            lock (Sent)
            {
                Sent.Add(operation.Key);
            }

            using (var sink = new MemoryStream())
            {
                RpcRequestWriter.WriteEnvelope(sink, operation, args);
            }

            if (operation.Key == FailOperation && Sent.Count(k => k == operation.Key) <= FailFirst)
            {
                throw PlatformException.Transport(operation.Key, "HTTP 503 (test)", isTransient: true);
            }

            var xml = Answer(operation);
            using var reader = XmlReader.Create(new StringReader(xml));
            return Task.FromResult(read.Read(RpcResponseReader.ReadEnvelope(reader, operation, scrubber)));
        }

        private static string Answer(PlatformOperation operation)
        {
            var value = operation.ReturnType switch
            {
                null => string.Empty,
                PlatformContract.XsdString => "<r>sid-1</r>",
                PlatformContract.IntArray => "<r><item>0</item></r>",
                PlatformContract.BooleanArray => "<r><item>true</item></r>",
                PlatformContract.StringArray or PlatformContract.StringArrayArray => "<r/>",
                _ => "<r>0</r>",
            };
            return $"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns1:{operation.Name}Response xmlns:ns1=\"{operation.Service.Namespace}\">{value}</ns1:{operation.Name}Response></soapenv:Body></soapenv:Envelope>";
        }
    }
}
