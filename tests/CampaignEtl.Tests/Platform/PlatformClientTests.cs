using CampaignEtl.Platform;
using CampaignEtl.Platform.Transport;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.Tests.Platform;

/// <summary>Sessions, retries, budget and typed results, against canned answers over real HTTP on 127.0.0.1.</summary>
public sealed class PlatformClientTests
{
    private const string Password = "S3cret-Pa55word";
    private const string SessionId = "befa6775f59da478";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetCount_FirstCall_LogsInLazilyAndPassesTheSessionId()
    {
        await using var server = Server(("getCount", [CannedResponse.Fixture("getCount_multiref-after.xml")]));
        await using var client = Client(server, out _);

        server.Requests.ShouldBeEmpty();
        var count = await client.Recipients.GetCountAsync(4711, cancellationToken: Ct);

        count.ShouldBe(42);
        server.Operations.ShouldBe(["login", "getCount"]);
        var login = server.Requests.First();
        login.Path.ShouldBe("/soap11/RpcSession");
        login.Part("in0").ShouldBe("123");
        login.Part("in1").ShouldBe("etl-user");
        server.Requests.Last().Part("in0").ShouldBe(SessionId);
    }

    [Fact]
    public async Task Calls_AfterSessionLifetime_LogInAgain()
    {
        await using var server = Server(("getCount", [CannedResponse.Fixture("getCount_multiref-after.xml")]));
        await using var client = Client(server, out var time);

        await client.Recipients.GetCountAsync(1, cancellationToken: Ct);
        time.Advance(TimeSpan.FromMinutes(14));
        await client.Recipients.GetCountAsync(1, cancellationToken: Ct);
        time.Advance(TimeSpan.FromMinutes(1));
        await client.Recipients.GetCountAsync(1, cancellationToken: Ct);

        server.Operations.ShouldBe(["login", "getCount", "getCount", "login", "getCount"]);
    }

    [Fact]
    public async Task Call_InvalidSessionIdFault_LogsInAgainAndRetriesOnce()
    {
        await using var server = Server(("getCount", [CannedResponse.Fixture("fault_invalid-sessionid.xml", 500), CannedResponse.Fixture("getCount_multiref-after.xml")]));
        await using var client = Client(server, out _);

        var count = await client.Recipients.GetCountAsync(1, cancellationToken: Ct);

        count.ShouldBe(42);
        server.Operations.ShouldBe(["login", "getCount", "login", "getCount"]);
        client.Calls.CountOf("SessionWebservice.login").ShouldBe(2);
    }

    [Fact]
    public async Task Call_InvalidSessionIdTwice_ThrowsTheFaultWithoutSecrets()
    {
        await using var server = Server(("getCount", [CannedResponse.Fixture("fault_invalid-sessionid.xml", 500)]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.GetCountAsync(1, cancellationToken: Ct));

        ex.Kind.ShouldBe(PlatformFaultKind.InvalidSessionId);
        ex.Operation.ShouldBe("RecipientWebservice.getCount");
        server.Operations.ShouldBe(["login", "getCount", "login", "getCount"]);
    }

    [Fact]
    public async Task Login_InvalidCredentials_ThrowsTypedFaultWithoutPasswordOrSessionId()
    {
        await using var server = Server(("login", [CannedResponse.Fixture("fault_echoes-secrets.xml", 500)]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.GetCountAsync(1, cancellationToken: Ct));

        ex.Kind.ShouldBe(PlatformFaultKind.InvalidCredentials);
        ex.Operation.ShouldBe("SessionWebservice.login");
        ex.ToString().ShouldNotContain(Password);
        server.Operations.ShouldBe(["login"]);
    }

    [Fact]
    public async Task Fault_EchoingTheSessionId_IsScrubbed()
    {
        var echo = File.ReadAllText(SoapFixtures.PathOf("fault_invalid-credentials.xml"))
            .Replace("Invalid credentials.", $"List 4711 is locked by session {SessionId} (password {Password})", StringComparison.Ordinal);
        await using var server = Server(("clear", [CannedResponse.Xml(echo, 500)]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.ClearAsync(4711, Ct));

        ex.Message.ShouldBe("RecipientWebservice.clear failed on the platform: List 4711 is locked by session *** (password ***)");
        ex.Kind.ShouldBe(PlatformFaultKind.Other);
    }

    [Fact]
    public async Task SafeOperation_Transient503_IsRetried()
    {
        await using var server = Server(("clear", [CannedResponse.Unavailable503(), CannedResponse.Html500(), CannedResponse.Fixture("clear_void.xml")]));
        await using var client = Client(server, out _);

        await client.Recipients.ClearAsync(4711, Ct);

        server.Operations.ShouldBe(["login", "clear", "clear", "clear"]);
        client.Calls.CountOf("RecipientWebservice.clear").ShouldBe(3);
    }

    [Fact]
    public async Task SafeOperation_TransientEveryTime_GivesUpAfterTheConfiguredAttempts()
    {
        await using var server = Server(("getCount", [CannedResponse.Unavailable503()]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformException>(() => client.Recipients.GetCountAsync(1, cancellationToken: Ct));

        ex.IsTransient.ShouldBeTrue();
        client.Calls.CountOf("RecipientWebservice.getCount").ShouldBe(3);
    }

    [Fact]
    public async Task UnsafeOperation_Transient503_IsNotRetried()
    {
        await using var server = Server(("removeAll", [CannedResponse.Unavailable503(), CannedResponse.Fixture("removeAll_multiref-booleans.xml")]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformException>(() => client.Recipients.RemoveAllAsync(4711, ["a", "b"], Ct));

        ex.Message.ShouldContain("503");
        server.Operations.ShouldBe(["login", "removeAll"]);
    }

    [Fact]
    public async Task SafeOperation_AxisSocketTimeoutFault_IsRetried()
    {
        await using var server = Server(("getCount", [CannedResponse.Xml(AxisFault("java.net.SocketTimeoutException: Read timed out"), 500), CannedResponse.Fixture("getCount_multiref-after.xml")]));
        await using var client = Client(server, out _);

        var count = await client.Recipients.GetCountAsync(1, cancellationToken: Ct);

        count.ShouldBe(42);
        server.Operations.ShouldBe(["login", "getCount", "getCount"]);
    }

    [Fact]
    public async Task SafeOperation_AxisSocketTimeoutFaultEveryTime_GivesUpWithTransientFault()
    {
        await using var server = Server(("clear", [CannedResponse.Xml(AxisFault("java.net.SocketTimeoutException: Read timed out"), 500)]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.ClearAsync(4711, Ct));

        ex.IsTransient.ShouldBeTrue();
        ex.Kind.ShouldBe(PlatformFaultKind.Other);
        ex.Message.ShouldContain("java.net.SocketTimeoutException");
        client.Calls.CountOf("RecipientWebservice.clear").ShouldBe(3);
    }

    [Fact]
    public async Task UnsafeOperation_AxisSocketTimeoutFault_IsNotRetried()
    {
        await using var server = Server(("removeAll", [CannedResponse.Xml(AxisFault("java.net.SocketTimeoutException: Read timed out"), 500), CannedResponse.Fixture("removeAll_multiref-booleans.xml")]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.RemoveAllAsync(4711, ["a", "b"], Ct));

        ex.IsTransient.ShouldBeTrue();
        server.Operations.ShouldBe(["login", "removeAll"]);
    }

    [Fact]
    public async Task Login_AxisConnectionResetFault_IsRetried()
    {
        await using var server = Server(
            ("login", [CannedResponse.Xml(AxisFault("java.io.IOException: Connection reset by peer"), 500), CannedResponse.Fixture("login_inline-string.xml")]),
            ("getCount", [CannedResponse.Fixture("getCount_multiref-after.xml")]));
        await using var client = Client(server, out _);

        (await client.Recipients.GetCountAsync(1, cancellationToken: Ct)).ShouldBe(42);

        server.Operations.ShouldBe(["login", "login", "getCount"]);
    }

    [Fact]
    public async Task Fault_IsNeverRetried()
    {
        await using var server = Server(("clear", [CannedResponse.Fixture("fault_recipient-does-not-exist.xml", 500)]));
        await using var client = Client(server, out _);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.ClearAsync(4711, Ct));

        ex.Kind.ShouldBe(PlatformFaultKind.RecipientDoesNotExist);
        server.Operations.ShouldBe(["login", "clear"]);
    }

    [Fact]
    public async Task Calls_BudgetReached_ThrowBudgetExceededWithoutSending()
    {
        await using var server = Server(("getCount", [CannedResponse.Fixture("getCount_multiref-after.xml")]));
        await using var client = Client(server, out _, o => o.CallBudget = 3);

        await client.Recipients.GetCountAsync(1, cancellationToken: Ct);
        await client.Recipients.GetCountAsync(1, cancellationToken: Ct);
        var ex = await Should.ThrowAsync<PlatformCallBudgetExceededException>(() => client.Recipients.GetCountAsync(1, cancellationToken: Ct));

        ex.Budget.ShouldBe(3);
        ex.Operation.ShouldBe("RecipientWebservice.getCount");
        server.Operations.ShouldBe(["login", "getCount", "getCount"]);
        client.Calls.Total.ShouldBe(3);
    }

    [Fact]
    public async Task Dispose_LoggedIn_LogsOutEvenWithBudgetSpent()
    {
        await using var server = Server(("getCount", [CannedResponse.Fixture("getCount_multiref-after.xml")]));
        var client = Client(server, out _, o => o.CallBudget = 2);
        await client.Recipients.GetCountAsync(1, cancellationToken: Ct);

        await client.DisposeAsync();

        server.Operations.ShouldBe(["login", "getCount", "logout"]);
        server.Requests.Last().Part("in0").ShouldBe(SessionId);
        client.Calls.ByOperation().ShouldBe(new Dictionary<string, long>
        {
            ["RecipientWebservice.getCount"] = 1,
            ["SessionWebservice.login"] = 1,
            ["SessionWebservice.logout"] = 1,
        });
    }

    [Fact]
    public async Task Dispose_NeverLoggedIn_SendsNothing()
    {
        await using var server = Server();
        var client = Client(server, out _);

        await client.DisposeAsync();

        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task AddAll3Flat_Batch_SendsFlatValuesAndMapsResultCodes()
    {
        await using var server = Server(("addAll3Flat", [CannedResponse.Fixture("addAll3Flat_multiref-items-out-of-order.xml")]));
        await using var client = Client(server, out _);

        var codes = await client.Recipients.AddAll3FlatAsync(4711, 0, ["a", "b", "c", "d"], ["a@x.org", "b@x.org", "c@x.org", "d@x.org"], ["firstname"], ["A", "B", null, "D & <E>"], Ct);

        codes.ShouldBe([RecipientResultCode.Inserted, RecipientResultCode.ValidationFailed, RecipientResultCode.AlreadyOnList, RecipientResultCode.GeneralError]);
        var call = server.Requests.Last().Call;
        call.Element("in6")!.Elements().Select(e => e.Value).ShouldBe(["A", "B", "", "D & <E>"]);
    }

    [Fact]
    public async Task AddAll3_Batch_SendsArrayOfArraysAndMapsEveryCode()
    {
        await using var server = Server(("addAll3", [CannedResponse.Fixture("addAll3_inline-int-array.xml")]));
        await using var client = Client(server, out _);
        var ids = Enumerable.Range(0, 8).Select(i => "r" + i).ToArray();

        var codes = await client.Recipients.AddAll3Async(4711, 9, ids, ids.Select(i => i + "@x.org").ToArray(), ["firstname", "city"], ids.Select(i => (IReadOnlyList<string?>)[i, "Berlin"]).ToArray(), Ct);

        codes.ShouldBe(Enum.GetValues<RecipientResultCode>());
        var in6 = server.Requests.Last().Call.Element("in6")!;
        in6.Elements().Count().ShouldBe(8);
        in6.Elements().First().Elements().Select(e => e.Value).ShouldBe(["r0", "Berlin"]);
    }

    [Fact]
    public async Task AddAll3Flat_TooManyRecipients_IsRefusedBeforeSending()
    {
        await using var server = Server();
        await using var client = Client(server, out _);
        var ids = Enumerable.Range(0, 1001).Select(i => "r" + i).ToArray();

        await Should.ThrowAsync<ArgumentException>(() => client.Recipients.AddAll3FlatAsync(1, 0, ids, ids, [], [], Ct));

        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ClosedLoop_Rows_PageUntilAShortPage()
    {
        var page = CannedResponse.Fixture("getOutBounces_multiref-out-of-order.xml");
        await using var server = Server(("getOutBounces", [page, page, CannedResponse.Xml(File.ReadAllText(SoapFixtures.PathOf("getClicks_empty-array.xml")).Replace("getClicks", "getOutBounces", StringComparison.Ordinal))]));
        await using var client = Client(server, out _, pageSize: 2);

        var rows = new List<IReadOnlyList<string?>>();
        await foreach (var row in client.ClosedLoop.GetOutBouncesAsync(DateTimeOffset.FromUnixTimeMilliseconds(1000), DateTimeOffset.FromUnixTimeMilliseconds(2000), Ct))
        {
            rows.Add(row);
        }

        rows.Count.ShouldBe(4);
        var calls = server.Requests.Where(r => r.Operation == "getOutBounces").ToList();
        calls.Select(c => c.Part("in3")).ShouldBe(["0", "2", "4"]);
        calls.ShouldAllBe(c => c.Part("in1") == "1000" && c.Part("in2") == "2000" && c.Part("in4") == "2");
    }

    [Fact]
    public async Task ClosedLoop_GetCurrentTime_ReadsMillisecondsSinceEpoch()
    {
        await using var server = Server(("getCurrentTime", [CannedResponse.Fixture("getCurrentTime_multiref-long.xml")]));
        await using var client = Client(server, out _);

        var now = await client.ClosedLoop.GetCurrentTimeAsync(Ct);

        now.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(1764068400000L));
        server.Requests.Last().Path.ShouldBe("/soap11/RpcClosedLoop");
    }

    [Fact]
    public async Task Calls_ConcurrencyLimit_IsNeverExceeded()
    {
        var inFlight = 0;
        var peak = 0;
        await using var server = new CannedSoapServer(request =>
        {
            if (request.Operation == "login")
            {
                return CannedResponse.Fixture("login_inline-string.xml");
            }

            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            Thread.Sleep(20);
            Interlocked.Decrement(ref inFlight);
            return CannedResponse.Fixture("getCount_multiref-after.xml");
        });
        await using var client = Client(server, out _, o => o.MaxConcurrency = 2);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.Recipients.GetCountAsync(1, cancellationToken: Ct)));

        peak.ShouldBeLessThanOrEqualTo(2);
        client.Calls.Total.ShouldBe(9);
    }

    private static string AxisFault(string faultString) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><soapenv:Fault>"
        + "<faultcode>soapenv:Server.userException</faultcode><faultstring>" + System.Security.SecurityElement.Escape(faultString) + "</faultstring>"
        + "<detail><ns1:hostname xmlns:ns1=\"http://xml.apache.org/axis/\">api-node-07</ns1:hostname></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>";

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static CannedSoapServer Server(params (string Operation, CannedResponse[] Answers)[] script)
    {
        var all = script.ToDictionary(s => s.Operation, s => s.Answers);
        all.TryAdd("login", [CannedResponse.Fixture("login_inline-string.xml")]);
        all.TryAdd("logout", [CannedResponse.Fixture("logout_void.xml")]);
        return CannedSoapServer.Scripted(all);
    }

    private static PlatformClient Client(CannedSoapServer server, out FakeTimeProvider time, Action<PlatformOptions>? configure = null, int pageSize = 1000)
    {
        var options = new PlatformOptions
        {
            Endpoint = server.Endpoint.ToString(),
            MandatorId = 123,
            User = "etl-user",
            Password = Password,
            Timeout = TimeSpan.FromSeconds(10),
            Retry = new PlatformRetryOptions { Attempts = 3, BaseDelay = TimeSpan.Zero },
        };
        configure?.Invoke(options);
        time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero));
        return new PlatformClient(new WcfSoapTransport(options), options, time) { ClosedLoopPageSize = pageSize };
    }
}
