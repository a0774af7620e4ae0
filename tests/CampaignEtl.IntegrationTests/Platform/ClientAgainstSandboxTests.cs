using System.Text.RegularExpressions;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.IntegrationTests.Platform;

/// <summary>
/// The real client (WCF transport, our rpc/encoded codec, sessions, retries, budget) against the sandbox
/// platform over real HTTP on loopback: what the client sends is what lands in the sandbox's state.
/// </summary>
public sealed partial class ClientAgainstSandboxTests
{
    private const long ListId = 4711;
    private const string Login = "SessionWebservice.login";
    private const string AddAll3Flat = "RecipientWebservice.addAll3Flat";
    private static readonly string[] ThreeAttributes = ["firstname", "lastname", "city"];

    [Fact]
    public async Task AddAll3Flat_2500RecipientsInThreeCalls_ListHoldsExactlyWhatWasSent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox);
        var rows = Recipients(0, 2500);

        client.Calls.Total.ShouldBe(0, "login is lazy: nothing is sent before the first call");
        await client.Recipients.ClearAsync(ListId, ct);
        client.Calls.CountOf(Login).ShouldBe(1);
        var codes = new List<RecipientResultCode>();
        foreach (var chunk in rows.Chunk(1000))
        {
            codes.AddRange(await client.Recipients.AddAll3FlatAsync(ListId, 0, [.. chunk.Select(r => r.RecipientId)], [.. chunk.Select(r => r.Email)], ThreeAttributes, Flat(chunk), ct));
        }

        var count = await client.Recipients.GetCountAsync(ListId, 0, ct);

        codes.Count.ShouldBe(2500);
        codes.ShouldAllBe(c => c == RecipientResultCode.Inserted);
        count.ShouldBe(2500);
        client.Calls.CountOf(AddAll3Flat).ShouldBe(3);
        client.Calls.CountOf(Login).ShouldBe(1, "one session serves the whole round trip");
        ShouldEqual(await sandbox.State.GetListMembersAsync(ListId, ct), rows);
    }

    [Fact]
    public async Task AddAll3_RowsOfAttributeValues_ListHoldsExactlyWhatWasSent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox);
        var rows = Recipients(0, 700);

        await client.Recipients.ClearAsync(ListId, ct);
        var codes = await client.Recipients.AddAll3Async(
            ListId, 0, [.. rows.Select(r => r.RecipientId)], [.. rows.Select(r => r.Email)], ThreeAttributes,
            [.. rows.Select(r => (IReadOnlyList<string?>)[.. ThreeAttributes.Select(a => r.Attributes[a])])], ct);

        codes.ShouldAllBe(c => c == RecipientResultCode.Inserted);
        codes.Count.ShouldBe(700);
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(700);
        ShouldEqual(await sandbox.State.GetListMembersAsync(ListId, ct), rows);
    }

    [Fact]
    public async Task AddAll3Flat_SessionDiesEveryThreeCalls_AllTenBatchesLandAfterReLogins()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions { SessionLifetimeCalls = 3 }, ct);
        await using var client = Connect(sandbox);
        var rows = Recipients(0, 1000);

        foreach (var chunk in rows.Chunk(100))
        {
            var codes = await client.Recipients.AddAll3FlatAsync(ListId, 0, [.. chunk.Select(r => r.RecipientId)], [.. chunk.Select(r => r.Email)], ThreeAttributes, Flat(chunk), ct);
            codes.ShouldAllBe(c => c == RecipientResultCode.Inserted);
        }

        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(1000);
        client.Calls.CountOf(Login).ShouldBeGreaterThan(1);
        client.Calls.CountOf(AddAll3Flat).ShouldBeGreaterThan(10, "a call refused for its dead session is sent again after the new login");
        ShouldEqual(await sandbox.State.GetListMembersAsync(ListId, ct), rows);
    }

    [Fact]
    public async Task GetCount_SandboxSessionOutlivedByTime_ClientLogsInAgainAndAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        var sandboxTime = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
        await using var sandbox = await StartAsync(new SandboxOptions { SessionLifetime = TimeSpan.FromMinutes(5) }, ct, sandboxTime);
        await using var client = Connect(sandbox);

        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(0);
        sandboxTime.Advance(TimeSpan.FromMinutes(6));
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(0);

        client.Calls.CountOf(Login).ShouldBe(2);
        client.Calls.CountOf("RecipientWebservice.getCount").ShouldBe(3, "the call refused with Invalid sessionId is sent once more");
    }

    [Fact]
    public async Task GetCount_SessionEndedOnPlatformWhileCallsQueue_QueuedCallsUseTheNewSession()
    {
        var ct = TestContext.Current.CancellationToken;
        var sandboxTime = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
        await using var sandbox = await StartAsync(new SandboxOptions { SessionLifetime = TimeSpan.FromMinutes(5) }, ct, sandboxTime);
        await using var client = Connect(sandbox, o => o.MaxConcurrency = 1);
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(0);
        // The platform ends the session (its clock only); the client still holds it as valid.
        sandboxTime.Advance(TimeSpan.FromMinutes(6));

        var counts = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.Recipients.GetCountAsync(ListId, 0, ct)));

        counts.ShouldAllBe(c => c == 0);
        client.Calls.CountOf(Login).ShouldBe(2);
        // One call in flight can meet the dead session; the 9 queued behind the concurrency limit should be sent with the new one.
        client.Calls.CountOf("RecipientWebservice.getCount").ShouldBeLessThanOrEqualTo(1 + 10 + 1);
    }

    [Fact]
    public async Task AddAll3Flat_FortyParallelBatchesSessionDiesEveryFiveCalls_EveryBatchLands()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions { SessionLifetimeCalls = 5 }, ct);
        await using var client = Connect(sandbox, o => o.MaxConcurrency = 4);
        var rows = Recipients(0, 2000);

        var answers = await Task.WhenAll(rows.Chunk(50).Select(chunk =>
            client.Recipients.AddAll3FlatAsync(ListId, 0, [.. chunk.Select(r => r.RecipientId)], [.. chunk.Select(r => r.Email)], ThreeAttributes, Flat(chunk), ct)));

        answers.Length.ShouldBe(40);
        answers.SelectMany(a => a).Count().ShouldBe(2000);
        answers.SelectMany(a => a).ShouldAllBe(c => c == RecipientResultCode.Inserted || c == RecipientResultCode.AlreadyOnList);
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(2000);
        ShouldEqual(await sandbox.State.GetListMembersAsync(ListId, ct), rows);
        var logins = client.Calls.CountOf(Login);
        logins.ShouldBeGreaterThanOrEqualTo(8, "40 calls on sessions of 5 calls");
        // Only calls in flight when a session dies meet it dead: at most MaxConcurrency per session.
        client.Calls.CountOf(AddAll3Flat).ShouldBeLessThanOrEqualTo(40 + (4 * logins));
    }

    [Fact]
    public async Task GetCount_ClientSessionLifetimeReached_RenewsBeforeThePlatformRefuses()
    {
        var ct = TestContext.Current.CancellationToken;
        var clientTime = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox, time: clientTime);

        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(0);
        clientTime.Advance(TimeSpan.FromMinutes(16));
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(0);

        client.Calls.CountOf(Login).ShouldBe(2);
        client.Calls.CountOf("RecipientWebservice.getCount").ShouldBe(2, "the renewal happens before the call, so nothing is refused");
    }

    [Fact]
    public async Task AddAll3Flat_TenPercentFaultsOfEveryKind_ConvergesExactlyWithRetries()
    {
        var ct = TestContext.Current.CancellationToken;
        // Every kind the sandbox injects: Axis faults (java.net.SocketTimeoutException as a SOAP fault, transient),
        // HTML 503 pages and dropped connections, the latter two before or after the work is done.
        var options = new SandboxOptions
        {
            FaultRate = 0.1,
            FaultKinds = SandboxFaultKinds.All,
            // A seed whose draws hit addAll3Flat calls with every kind, dropped answers after the work included.
            FaultSeed = 13,
        };
        await using var sandbox = await StartAsync(options, ct);
        var log = new MessageLog();
        await using var client = Connect(sandbox, o => o.Retry.Attempts = 10, logger: log);
        var rows = Recipients(0, 10_000);

        await client.Recipients.ClearAsync(ListId, ct);
        var codes = new List<RecipientResultCode>();
        foreach (var chunk in rows.Chunk(500))
        {
            codes.AddRange(await client.Recipients.AddAll3FlatAsync(ListId, 0, [.. chunk.Select(r => r.RecipientId)], [.. chunk.Select(r => r.Email)], ThreeAttributes, Flat(chunk), ct));
        }

        var count = await client.Recipients.GetCountAsync(ListId, 0, ct);

        count.ShouldBe(10_000);
        codes.Count.ShouldBe(10_000);
        codes.ShouldAllBe(c => c == RecipientResultCode.Inserted || c == RecipientResultCode.AlreadyOnList);
        sandbox.InjectedFaultCount.ShouldBeGreaterThan(0);
        log.Messages.ShouldContain(m => m.Contains("java.net.SocketTimeoutException", StringComparison.Ordinal), "an Axis fault was met and retried");
        log.Messages.ShouldContain(m => m.Contains("503", StringComparison.Ordinal), "an HTML 503 page was met and retried");
        client.Calls.Total.ShouldBeGreaterThan(1 + 1 + 20 + 1, "retries are calls too");
        client.Calls.Total.ShouldBe(sandbox.CallCount, "every counted call reached the sandbox");
        ShouldEqual(await sandbox.State.GetListMembersAsync(ListId, ct), rows);
    }

    [Fact]
    public async Task AddAll3Flat_OneRecipientPerRule_EveryResultCodeMappedToItsName()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions { BlocklistEntries = ["*@blocked.example"] }, ct);
        await sandbox.State.AddUnsubscribeAsync("gone@example.org", null, ct);
        await sandbox.State.SetBounceCountAsync("bouncy@example.org", BounceCategory.Hard, 5, ct);
        await using var client = Connect(sandbox);
        string[] names = ["firstname"];

        var first = await client.Recipients.AddAll3FlatAsync(ListId, 0, ["r-dup"], ["dup@example.org"], names, ["D"], ct);
        var codes = await client.Recipients.AddAll3FlatAsync(
            ListId, 0,
            ["r-new", "r-invalid", "r-gone", "r-blocked", "r-bouncy", "r-dup"],
            ["new@example.org", "not an address", "gone@example.org", "anyone@blocked.example", "bouncy@example.org", "dup@example.org"],
            names, ["N", "I", "G", "B", "H", "D"], ct);

        first.ShouldBe([RecipientResultCode.Inserted]);
        codes.ShouldBe([
            RecipientResultCode.Inserted,
            RecipientResultCode.ValidationFailed,
            RecipientResultCode.Unsubscribed,
            RecipientResultCode.Blacklisted,
            RecipientResultCode.BounceOverflow,
            RecipientResultCode.AlreadyOnList,
        ]);
        (await sandbox.State.GetListMembersAsync(ListId, ct)).Select(m => m.RecipientId).ShouldBe(["r-dup", "r-new"]);
    }

    [Fact]
    public async Task Unsubscribes_AddAllThenContainsAllAndGetCount_MatchSandbox()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox);

        await client.Unsubscribes.AddAllAsync(ListId, ["u-1", "u-2", "u-<&\"'>"], ct);
        var contained = await client.Unsubscribes.ContainsAllAsync(["u-1", "u-3", "u-<&\"'>", "u-2"], ct);
        var count = await client.Unsubscribes.GetCountAsync(ct);

        contained.ShouldBe([true, false, true, true]);
        count.ShouldBe(3);
        (await sandbox.State.IsUnsubscribedAsync("u-<&\"'>", null, ct)).ShouldBeTrue();
    }

    [Fact]
    public async Task Blacklist_AreBlacklisted_ExactAndWildcardEntriesMatch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions { BlocklistEntries = ["*@blocked.example", "exact@example.org"] }, ct);
        await using var client = Connect(sandbox);

        var answers = await client.Blacklist.AreBlacklistedAsync(["a@blocked.example", "exact@example.org", "EXACT@example.org", "fine@example.org", "a@blocked.example.org"], ct);
        var entries = await client.Blacklist.GetAllAdvancedFlatAsync(0, 100, ct);

        answers.ShouldBe([true, true, true, false, false]);
        entries.Count.ShouldBe(10, "5 values per entry");
        entries.ShouldContain("*@blocked.example");
        entries.ShouldContain("exact@example.org");
    }

    [Fact]
    public async Task ClosedLoop_GetOpensOfMailingWith2500Opens_PagesEveryEventOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
        await using var sandbox = await StartAsync(new SandboxOptions(), ct, time);
        (await sandbox.State.AddRecipientsAsync(ListId, Recipients(0, 2500), ct)).ShouldAllBe(c => c == 0);
        await sandbox.SimulateMailingAsync(9001, ListId, 17, new DateOnly(2026, 11, 23), new MailingSimulationRates { HardBounce = 0, SoftBounce = 0, Open = 1, Click = 0.2, Unsubscribe = 0 }, ct);
        var expected = (await sandbox.State.GetEventsAsync(9001, ct)).Where(e => e.EventType == "open").ToList();
        await using var client = Connect(sandbox);

        var now = await client.ClosedLoop.GetCurrentTimeAsync(ct);
        var opens = new List<IReadOnlyList<string?>>();
        await foreach (var row in client.ClosedLoop.GetOpensAsync(now.AddDays(-1), now.AddMinutes(1), ct))
        {
            opens.Add(row);
        }

        now.ShouldBe(time.GetUtcNow());
        expected.Count.ShouldBeGreaterThan(1000);
        opens.Count.ShouldBe(expected.Count);
        opens.Select(r => r[1]).ShouldBe(expected.Select(e => e.RecipientId), "every open once, in event order");
        opens.ShouldAllBe(r => r[0] == "9001");
        client.Calls.CountOf("ClosedLoopWebservice.getOpens").ShouldBe(expected.Count / 1000 + 1);
    }

    [Fact]
    public async Task Responses_GetBounceCounterThreshold_ReturnsSandboxLimits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions { HardBounceThreshold = 4, SoftBounceThreshold = 7 }, ct);
        await using var client = Connect(sandbox);

        (await client.Responses.GetBounceCounterThresholdAsync("hardbounce", ct)).ShouldBe(4);
        (await client.Responses.GetBounceCounterThresholdAsync("softbounce", ct)).ShouldBe(7);
    }

    [Fact]
    public async Task Login_WrongPassword_ThrowsInvalidCredentialsFaultWithoutThePassword()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        const string wrong = "Wr0ng-S3cret-Pa55";
        await using var client = Connect(sandbox, o => o.Password = wrong);

        var fault = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.GetCountAsync(ListId, 0, ct));

        fault.Kind.ShouldBe(PlatformFaultKind.InvalidCredentials);
        fault.Operation.ShouldBe(Login);
        fault.Message.ShouldContain("Invalid credentials");
        fault.ToString().ShouldNotContain(wrong);
        SessionIdPattern().IsMatch(fault.ToString()).ShouldBeFalse();
        client.Calls.CountOf(Login).ShouldBe(1, "a refused login is not retried");
    }

    [Fact]
    public async Task GetCount_UnknownListAfterLogin_FaultNamesOperationButNoSessionId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox);
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(0);

        var fault = await Should.ThrowAsync<PlatformFaultException>(() => client.Recipients.GetCountAsync(999_999, 0, ct));

        fault.Operation.ShouldBe("RecipientWebservice.getCount");
        fault.Message.ShouldContain("999999");
        SessionIdPattern().IsMatch(fault.ToString()).ShouldBeFalse(fault.ToString());
        fault.ToString().ShouldNotContain("sandbox-password");
    }

    [Fact]
    public async Task Calls_BudgetOfThreeSpent_FourthCallThrowsAndIsNotSent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox, o => o.CallBudget = 3);

        await client.Recipients.GetCountAsync(ListId, 0, ct);
        await client.Recipients.GetCountAsync(ListId, 0, ct);
        var sent = sandbox.CallCount;
        var exceeded = await Should.ThrowAsync<PlatformCallBudgetExceededException>(() => client.Recipients.GetCountAsync(ListId, 0, ct));

        sent.ShouldBe(3, "login and two calls");
        sandbox.CallCount.ShouldBe(3, "the call over the budget is not sent");
        client.Calls.Total.ShouldBe(3);
        exceeded.Budget.ShouldBe(3);
        exceeded.Operation.ShouldBe("RecipientWebservice.getCount");
    }

    [Fact]
    public async Task GetAllAdvancedFlat_AfterAddAll3Flat_ReadsBackEveryValueIncludingNullEmptyAndMarkup()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox);
        var rows = Recipients(0, 1500);
        foreach (var chunk in rows.Chunk(1000))
        {
            await client.Recipients.AddAll3FlatAsync(ListId, 0, [.. chunk.Select(r => r.RecipientId)], [.. chunk.Select(r => r.Email)], ThreeAttributes, Flat(chunk), ct);
        }

        string[] names = ["recipientId", "email", .. ThreeAttributes];
        var read = new List<string?>();
        for (var start = 0; ; start += 1000)
        {
            var page = await client.Recipients.GetAllAdvancedFlatAsync(ListId, names, 0, "recipientId", true, start, 1000, ct);
            read.AddRange(page);
            if (page.Count < 1000 * names.Length)
            {
                break;
            }
        }

        var expected = rows.OrderBy(r => r.RecipientId, StringComparer.Ordinal)
            .SelectMany(r => new[] { r.RecipientId, r.Email }.Concat(ThreeAttributes.Select(a => r.Attributes[a])))
            .ToList();
        read.Count.ShouldBe(expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            read[i].ShouldBe(expected[i], $"value {i} (row {i / names.Length}, {names[i % names.Length]})");
        }
    }

    [Fact]
    public async Task RemoveAll_ExistingAndUnknownIds_AnswersPerIdAndCountDrops()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox);
        var rows = Recipients(0, 10);
        await client.Recipients.AddAll3FlatAsync(ListId, 0, [.. rows.Select(r => r.RecipientId)], [.. rows.Select(r => r.Email)], ThreeAttributes, Flat(rows), ct);

        var removed = await client.Recipients.RemoveAllAsync(ListId, [rows[0].RecipientId, "nobody", rows[9].RecipientId], ct);

        removed.ShouldBe([true, false, true]);
        (await client.Recipients.GetCountAsync(ListId, 0, ct)).ShouldBe(8);
    }

    [Fact]
    public async Task AddAll3Flat_EightBatchesInParallel_OneLoginAndEveryRowLands()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        await using var client = Connect(sandbox, o => o.MaxConcurrency = 4);
        var rows = Recipients(0, 4000);

        var answers = await Task.WhenAll(rows.Chunk(500).Select(chunk =>
            client.Recipients.AddAll3FlatAsync(ListId, 0, [.. chunk.Select(r => r.RecipientId)], [.. chunk.Select(r => r.Email)], ThreeAttributes, Flat(chunk), ct)));

        answers.SelectMany(a => a).ShouldAllBe(c => c == RecipientResultCode.Inserted);
        client.Calls.CountOf(Login).ShouldBe(1, "concurrent first calls share one lazy login");
        client.Calls.CountOf(AddAll3Flat).ShouldBe(8);
        ShouldEqual(await sandbox.State.GetListMembersAsync(ListId, ct), rows);
    }

    [Fact]
    public async Task DisposeAsync_AfterCalls_LogsOutTheSession()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartAsync(new SandboxOptions(), ct);
        var client = Connect(sandbox);
        await client.Recipients.GetCountAsync(ListId, 0, ct);
        sandbox.Sessions.Active.ShouldBe(1);

        await client.DisposeAsync();

        sandbox.Sessions.Active.ShouldBe(0);
        client.Calls.CountOf("SessionWebservice.logout").ShouldBe(1);
    }

    [Fact]
    public async Task GetCount_NoAnswerWithinTimeout_RetriedThenTransientPlatformException()
    {
        var ct = TestContext.Current.CancellationToken;
        // The sandbox waits its latency on a clock nobody advances: no call is ever answered.
        await using var sandbox = await StartAsync(new SandboxOptions { Latency = TimeSpan.FromMinutes(1) }, ct, new FakeTimeProvider());
        await using var client = Connect(sandbox, o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(300);
            o.Retry.Attempts = 2;
        });

        var failure = await Should.ThrowAsync<PlatformException>(() => client.Recipients.GetCountAsync(ListId, 0, ct));

        failure.ShouldNotBeOfType<PlatformFaultException>();
        failure.IsTransient.ShouldBeTrue(failure.Message);
        failure.Operation.ShouldBe(Login);
        failure.Message.ShouldContain("timeout");
        client.Calls.CountOf(Login).ShouldBe(2, "login is safe to repeat: retried up to Retry.Attempts");
    }

    // 16 lowercase hex characters: the sandbox's session ids.
    [GeneratedRegex("[0-9a-f]{16}")]
    private static partial Regex SessionIdPattern();

    private static async Task<SandboxPlatform> StartAsync(SandboxOptions options, CancellationToken ct, TimeProvider? time = null)
    {
        var sandbox = await SandboxPlatform.StartAsync(options, time ?? TimeProvider.System, null, ct);
        await sandbox.State.CreateRecipientListAsync(ListId, "Newsletter", ThreeAttributes, isOptInList: false, ct);
        return sandbox;
    }

    private static ClientUnderTest Connect(SandboxPlatform sandbox, Action<PlatformOptions>? change = null, TimeProvider? time = null, ILogger? logger = null)
    {
        var options = new PlatformOptions
        {
            Endpoint = sandbox.Endpoint.ToString(),
            MandatorId = 1000,
            User = "api-user",
            Password = "sandbox-password",
            Timeout = TimeSpan.FromSeconds(30),
            Retry = { BaseDelay = TimeSpan.FromMilliseconds(1) },
        };
        change?.Invoke(options);
        var validation = new PlatformOptionsValidator().Validate(null, options);
        validation.Succeeded.ShouldBeTrue(validation.FailureMessage);
        return new ClientUnderTest(options, time ?? TimeProvider.System, logger);
    }

    /// <summary>Recipients with non-ASCII and XML-special characters in ids and attribute values, a null and an empty value.</summary>
    private static List<SandboxRecipient> Recipients(int from, int count) =>
        [.. Enumerable.Range(from, count).Select(i => new SandboxRecipient(
            $"id-{i:D6}-<&\"'>",
            $"person{i}@example.org",
            new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["firstname"] = i % 7 == 0 ? "Zoë <&\"'> Ærø" : $"First{i}",
                ["lastname"] = i % 11 == 0 ? "Müller-Łukasiewicz ]]> &amp; 日本" : $"Last{i}",
                ["city"] = (i % 13) switch { 0 => null, 1 => string.Empty, _ => $"City {i % 50}" },
            }))];

    private static string?[] Flat(IEnumerable<SandboxRecipient> rows) => [.. rows.SelectMany(r => ThreeAttributes.Select(a => r.Attributes[a]))];

    private static void ShouldEqual(IReadOnlyList<SandboxRecipient> actual, IReadOnlyList<SandboxRecipient> expected)
    {
        actual.Count.ShouldBe(expected.Count);
        var byId = actual.ToDictionary(r => r.RecipientId, StringComparer.Ordinal);
        foreach (var row in expected)
        {
            byId.TryGetValue(row.RecipientId, out var member).ShouldBeTrue(row.RecipientId);
            member!.Email.ShouldBe(row.Email);
            foreach (var name in ThreeAttributes)
            {
                member.Attributes.GetValueOrDefault(name).ShouldBe(row.Attributes[name], $"{row.RecipientId} {name}");
            }
        }
    }

    /// <summary>The client's log messages, formatted.</summary>
    private sealed class MessageLog : ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> messages = new();

        public IReadOnlyCollection<string> Messages => messages;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception));
    }

    /// <summary>The client and its transport (which the client does not own); disposing logs out, then closes the transport.</summary>
    private sealed class ClientUnderTest(PlatformOptions options, TimeProvider time, ILogger? logger) : IAsyncDisposable
    {
        private readonly CampaignEtl.Platform.Transport.WcfSoapTransport transport = new(options);
        private PlatformClient? client;

        private PlatformClient Client => client ??= new PlatformClient(transport, options, time, logger);

        public IRecipientService Recipients => Client.Recipients;

        public IUnsubscribeService Unsubscribes => Client.Unsubscribes;

        public IBlacklistService Blacklist => Client.Blacklist;

        public IClosedLoopService ClosedLoop => Client.ClosedLoop;

        public IResponseService Responses => Client.Responses;

        public PlatformCallCounter Calls => Client.Calls;

        public async ValueTask DisposeAsync()
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            transport.Dispose();
        }
    }
}
