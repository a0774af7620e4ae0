using System.Net;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.IntegrationTests.Sandbox;

public sealed class SandboxSoapTests : IAsyncLifetime
{
    private const long ListId = 4711;
    private static readonly string[] Attributes = ["firstname", "opt-in-id"];

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero));
    private SandboxPlatform _sandbox = null!;
    private SoapTestClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await SandboxPlatform.StartAsync(new SandboxOptions { SessionLifetimeCalls = 0 }, _time, null, TestContext.Current.CancellationToken);
        await _sandbox.State.CreateRecipientListAsync(ListId, "Newsletter DE", Attributes, isOptInList: false, TestContext.Current.CancellationToken);
        _client = new SoapTestClient(_sandbox.Endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Login_ValidCredentials_ReturnsSessionIdAsInlineString()
    {
        var answer = await _client.CallAsync("RpcSession", "login", Part.Long(1000), Part.Str("api-user"), Part.Str("sandbox-password"));

        answer.Status.ShouldBe(HttpStatusCode.OK);
        answer.Text.ShouldContain("<ns1:loginResponse soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:ns1=\"urn:api.broadmail.de/soap11/RpcSession\">");
        answer.Text.ShouldContain("<loginReturn xsi:type=\"xsd:string\">");
        answer.Scalar.ShouldNotBeNull().Length.ShouldBe(16);
    }

    [Theory]
    [InlineData(1000, "api-user", "wrong")]
    [InlineData(1000, "someone", "sandbox-password")]
    [InlineData(999, "api-user", "sandbox-password")]
    public async Task Login_BadCredentials_FaultsInvalidCredentials(long mandator, string user, string password)
    {
        var answer = await _client.CallAsync("RpcSession", "login", Part.Long(mandator), Part.Str(user), Part.Str(password));

        answer.Status.ShouldBe(HttpStatusCode.InternalServerError);
        answer.FaultCode.ShouldBe("soapenv:Server.userException");
        answer.FaultString.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Invalid credentials.");
        answer.Text.ShouldNotContain(password == "wrong" ? "wrong" : "sandbox-password");
    }

    [Fact]
    public async Task ClearAddAll3FlatGetCount_RoundTrip_ListHoldsExactlyTheAddedRows()
    {
        var session = await _client.LoginAsync();
        var first = Enumerable.Range(0, 30).Select(i => ($"003{i:D12}", $"person{i}@example.com")).ToList();
        (await _client.AddAll3FlatAsync(session, ListId, first, Attributes, (i, j) => j == 0 ? $"Name {i}" : "7")).Ints.ShouldAllBe(c => c == 0);
        (await _client.GetCountAsync(session, ListId)).ShouldBe(30);

        (await _client.CallAsync("RpcRecipient", "clear", Part.Str(session), Part.Long(ListId))).Status.ShouldBe(HttpStatusCode.OK);
        (await _client.GetCountAsync(session, ListId)).ShouldBe(0);

        var second = first.Take(12).ToList();
        var codes = (await _client.AddAll3FlatAsync(session, ListId, second, Attributes, (i, j) => j == 0 ? $"Name {i}" : "7")).Ints;

        codes.ShouldBe(Enumerable.Repeat(0, 12).ToList());
        (await _client.GetCountAsync(session, ListId)).ShouldBe(12);
        var members = await _sandbox.State.GetListMembersAsync(ListId, TestContext.Current.CancellationToken);
        members[3].Attributes["firstname"].ShouldBe("Name 3");
        members[3].Attributes["opt-in-id"].ShouldBe("7");
    }

    [Fact]
    public async Task AddAll3Flat_EverySuppressionRule_AnswersCodes0To5()
    {
        var ct = TestContext.Current.CancellationToken;
        await _sandbox.State.AddUnsubscribeAsync("unsub@example.com", null, ct);
        await _sandbox.State.AddUnsubscribeAsync("003000000000077", ListId, ct);
        await _sandbox.State.AddBlocklistEntryAsync("blocked@example.com", "manual", ct);
        await _sandbox.State.SetBounceCountAsync("bouncer@example.com", BounceCategory.Hard, 3, ct);
        await _sandbox.State.SetBounceCountAsync("soft@example.com", BounceCategory.Soft, 4, ct);
        var session = await _client.LoginAsync();
        await _client.AddAll3FlatAsync(session, ListId, [("003000000000005", "present@example.com")], Attributes, (_, _) => "x");
        var recipients = new List<(string, string)>
        {
            ("003000000000001", "new@example.com"),
            ("003000000000002", "not-an-address"),
            ("003000000000003", "unsub@example.com"),
            ("003000000000004", "Blocked@Example.com"),
            ("003000000000006", "bouncer@example.com"),
            ("003000000000005", "present@example.com"),
            ("003000000000077", "listwise@example.com"),
            ("003000000000008", "soft@example.com"),
            ("003000000000001", "new@example.com"),
        };

        var answer = await _client.AddAll3FlatAsync(session, ListId, recipients, Attributes, (_, _) => "v");

        answer.Ints.ShouldBe([0, 1, 2, 3, 4, 5, 2, 0, 5]);
        (await _client.GetCountAsync(session, ListId)).ShouldBe(3);
    }

    [Fact]
    public async Task AddAll3_OptInList_ReactivatesUnsubscribedRecipient()
    {
        var ct = TestContext.Current.CancellationToken;
        await _sandbox.State.CreateRecipientListAsync(5, "Opt-in list", Attributes, isOptInList: true, ct);
        await _sandbox.State.AddUnsubscribeAsync("back@example.com", null, ct);
        var session = await _client.LoginAsync();

        var answer = await _client.CallAsync(
            "RpcRecipient", "addAll3", Part.Str(session), Part.Long(5), Part.Long(0),
            Part.Strings(["003000000000009"]), Part.Strings(["back@example.com"]), Part.Strings(Attributes),
            Part.Table([["Back", "9"]]));

        answer.Ints.ShouldBe([0]);
        (await _sandbox.State.IsUnsubscribedAsync("back@example.com", null, ct)).ShouldBeFalse();
        (await _sandbox.State.GetListMembersAsync(5, ct)).Single().Attributes["firstname"].ShouldBe("Back");
    }

    [Theory]
    [InlineData("*@example.org", "Anyone@EXAMPLE.org", 3)]
    [InlineData("*@example.org", "anyone@example.org.uk", 0)]
    [InlineData("spam?@*", "spam1@host.de", 3)]
    [InlineData("spam?@*", "spam12@host.de", 0)]
    public async Task AddAll3Flat_WildcardBlocklist_MatchesWholeAddressIgnoringCase(string pattern, string email, int expected)
    {
        await _sandbox.State.AddBlocklistEntryAsync(pattern, null, TestContext.Current.CancellationToken);
        var session = await _client.LoginAsync();

        var answer = await _client.AddAll3FlatAsync(session, ListId, [("003000000000001", email)], Attributes, (_, _) => "v");

        answer.Ints.ShouldBe([expected]);
        (await _client.CallAsync("RpcBlacklist", "areBlacklisted", Part.Str(session), Part.Strings([email]))).Bools.ShouldBe([expected == 3]);
    }

    [Fact]
    public async Task AddAll3Flat_IntArrayAnswer_UsesHrefsToMultiRefsOutOfOrder()
    {
        var session = await _client.LoginAsync();

        var answer = await _client.AddAll3FlatAsync(session, ListId, [("a1", "a@example.com"), ("b1", "bad"), ("c1", "c@example.com")], Attributes, (_, _) => "v");

        answer.Text.ShouldContain("<addAll3FlatReturn soapenc:arrayType=\"xsd:int[3]\" xsi:type=\"soapenc:Array\"");
        answer.Text.ShouldContain("<item href=\"#id0\"/><item href=\"#id1\"/><item href=\"#id2\"/>");
        answer.Text.IndexOf("<multiRef id=\"id1\"", StringComparison.Ordinal).ShouldBeLessThan(answer.Text.IndexOf("<multiRef id=\"id0\"", StringComparison.Ordinal));
        answer.Text.ShouldContain("<multiRef id=\"id1\" soapenc:root=\"0\" soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xsi:type=\"xsd:int\" xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\">1</multiRef>");
        answer.Ints.ShouldBe([0, 1, 0]);
    }

    [Fact]
    public async Task Session_ExpiresAfterLifetime_FaultsInvalidSessionId()
    {
        var session = await _client.LoginAsync();
        (await _client.GetCountAsync(session, ListId)).ShouldBe(0);

        _time.Advance(TimeSpan.FromMinutes(19));
        (await _client.GetCountAsync(session, ListId)).ShouldBe(0);
        _time.Advance(TimeSpan.FromMinutes(1));
        var answer = await _client.CallAsync("RpcRecipient", "getCount", Part.Str(session), Part.Long(ListId), Part.Long(0));

        answer.Status.ShouldBe(HttpStatusCode.InternalServerError);
        answer.FaultString.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Invalid sessionId");
    }

    [Fact]
    public async Task Logout_ThenCall_FaultsInvalidSessionId()
    {
        var session = await _client.LoginAsync();

        (await _client.CallAsync("RpcSession", "logout", Part.Str(session))).Text.ShouldContain("<ns1:logoutResponse");
        var answer = await _client.CallAsync("RpcRecipient", "getCount", Part.Str(session), Part.Long(ListId), Part.Long(0));

        answer.FaultString.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Invalid sessionId");
    }

    [Fact]
    public async Task Remove_UnknownRecipient_FaultsRecipientDoesNotExist()
    {
        var session = await _client.LoginAsync();

        var answer = await _client.CallAsync("RpcRecipient", "remove", Part.Str(session), Part.Long(ListId), Part.Str("nobody"));

        answer.FaultString.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Recipient does not exist for call: remove");
    }

    [Fact]
    public async Task AddAll3Flat_UnknownList_FaultsNamingTheList()
    {
        var session = await _client.LoginAsync();

        var answer = await _client.AddAll3FlatAsync(session, 999, [("a", "a@example.com")], Attributes, (_, _) => "v");

        answer.FaultString.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Recipient list 999 does not exist for call: addAll3Flat");
    }

    [Fact]
    public async Task Call_WrongNamespace_FaultsNoSuchOperation()
    {
        var envelope = SoapTestClient.Envelope("RpcSession", "getCount", Part.Str("x"), Part.Long(ListId), Part.Long(0));

        var answer = await _client.PostRawAsync("RpcRecipient", envelope);

        answer.Status.ShouldBe(HttpStatusCode.InternalServerError);
        answer.FaultCode.ShouldBe("soapenv:Client");
        answer.FaultString.ShouldBe("No such operation 'getCount'");
    }

    [Fact]
    public async Task GetAllAdvancedFlatAndRemoveAll_AfterAdd_PageAndRemove()
    {
        var session = await _client.LoginAsync();
        var people = Enumerable.Range(0, 5).Select(i => ($"id{i}", $"p{i}@example.com")).ToList();
        await _client.AddAll3FlatAsync(session, ListId, people, Attributes, (i, j) => j == 0 ? $"N{i}" : null);

        var page = await _client.CallAsync(
            "RpcRecipient", "getAllAdvancedFlat", Part.Str(session), Part.Long(ListId), Part.Strings(["recipientId", "email", "firstname"]),
            Part.Long(0), Part.Str(null), Part.Bool(true), Part.Int(1), Part.Int(2));
        var removed = await _client.CallAsync("RpcRecipient", "removeAll", Part.Str(session), Part.Long(ListId), Part.Strings(["id0", "zzz"]));

        page.Strings.ShouldBe(["id1", "p1@example.com", "N1", "id2", "p2@example.com", "N2"]);
        removed.Bools.ShouldBe([true, false]);
        (await _client.GetCountAsync(session, ListId)).ShouldBe(4);
    }

    [Fact]
    public async Task UnsubscribeBlacklistResponse_Operations_AnswerAsDocumented()
    {
        var ct = TestContext.Current.CancellationToken;
        await _sandbox.State.AddBlocklistEntryAsync("*@spam.test", "domain", ct);
        var session = await _client.LoginAsync();

        (await _client.CallAsync("RpcUnsubscribe", "addAll", Part.Str(session), Part.Long(ListId), Part.Strings(["u1@example.com", "u2@example.com"]))).Status.ShouldBe(HttpStatusCode.OK);
        var contains = await _client.CallAsync("RpcUnsubscribe", "containsAll", Part.Str(session), Part.Strings(["u1@example.com", "x@example.com"]));
        var count = await _client.CallAsync("RpcUnsubscribe", "getCount", Part.Str(session));
        var entries = await _client.CallAsync("RpcBlacklist", "getAllAdvancedFlat", Part.Str(session), Part.Int(0), Part.Int(10));
        var threshold = await _client.CallAsync("RpcResponse", "getBounceCounterThreshold", Part.Str(session), Part.Str("softbounce"));
        var now = await _client.CallAsync("RpcClosedLoop", "getCurrentTime", Part.Str(session));

        contains.Bools.ShouldBe([true, false]);
        count.Int.ShouldBe(2);
        entries.Strings.Skip(1).ShouldBe(["wildcard", "*@spam.test", "domain", "2026-11-24T01:00:00Z"]);
        threshold.Int.ShouldBe(5);
        now.Long.ShouldBe(_time.GetUtcNow().ToUnixTimeMilliseconds());
        now.Text.ShouldContain("xsi:type=\"xsd:long\"");
    }
}
