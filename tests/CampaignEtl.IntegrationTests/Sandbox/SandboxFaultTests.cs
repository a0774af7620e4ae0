using System.Net;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.IntegrationTests.Sandbox;

public sealed class SandboxFaultTests
{
    private const long ListId = 77;
    private static readonly string[] Attributes = ["firstname"];

    [Fact]
    public async Task Session_ExpiresAfterConfiguredCalls_FaultsInvalidSessionId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions { SessionLifetimeCalls = 3 }, TimeProvider.System, null, ct);
        await sandbox.State.CreateRecipientListAsync(ListId, "list", Attributes, false, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();

        for (var i = 0; i < 3; i++)
        {
            (await client.GetCountAsync(session, ListId)).ShouldBe(0);
        }

        var fourth = await client.CallAsync("RpcRecipient", "getCount", Part.Str(session), Part.Long(ListId), Part.Long(0));
        fourth.FaultString.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Invalid sessionId");
        (await client.GetCountAsync(await client.LoginAsync(), ListId)).ShouldBe(0);
    }

    [Fact]
    public async Task FaultInjection_AtThirtyPercent_InjectsEveryKindAndRetriedRefillConverges()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new SandboxOptions { FaultRate = 0.3, FaultSeed = 42, SessionLifetimeCalls = 7 };
        await using var sandbox = await SandboxPlatform.StartAsync(options, new FakeTimeProvider(), null, ct);
        await sandbox.State.CreateRecipientListAsync(ListId, "list", Attributes, false, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var statuses = new List<string>();
        string? session = null;
        var codes = new Dictionary<string, int>();

        async Task<SoapAnswer> Retry(Func<string, Task<SoapAnswer>> call)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                try
                {
                    session ??= await Login();
                    var answer = await call(session);
                    if (answer.FaultString?.EndsWith("Invalid sessionId", StringComparison.Ordinal) == true)
                    {
                        statuses.Add("session");
                        session = null;
                        continue;
                    }

                    if (answer.Status == HttpStatusCode.OK)
                    {
                        return answer;
                    }

                    statuses.Add(answer.IsFault ? "fault" : "html");
                }
                catch (HttpRequestException)
                {
                    statuses.Add("dropped");
                }
            }

            throw new InvalidOperationException("no success in 50 attempts");
        }

        async Task<string> Login()
        {
            var answer = await client.CallAsync("RpcSession", "login", Part.Long(1000), Part.Str("api-user"), Part.Str("sandbox-password"));
            return answer.Status == HttpStatusCode.OK ? answer.Scalar! : throw new HttpRequestException("login failed");
        }

        await Retry(s => client.CallAsync("RpcRecipient", "clear", Part.Str(s), Part.Long(ListId)));
        for (var batch = 0; batch < 20; batch++)
        {
            var rows = Enumerable.Range(batch * 25, 25).Select(i => ($"id{i:D4}", $"p{i}@example.com")).ToList();
            var answer = await Retry(s => client.AddAll3FlatAsync(s, ListId, rows, Attributes, (i, _) => rows[i].Item1));
            var batchCodes = answer.Ints;
            for (var i = 0; i < rows.Count; i++)
            {
                codes[rows[i].Item1] = batchCodes[i];
            }
        }

        var count = (await Retry(s => client.CallAsync("RpcRecipient", "getCount", Part.Str(s), Part.Long(ListId), Part.Long(0)))).Int;

        count.ShouldBe(500);
        codes.Values.ShouldAllBe(c => c == 0 || c == 5);
        codes.Values.ShouldContain(5, "an addAll3 applied whose answer was lost answers 5 when repeated");
        statuses.ShouldContain("fault");
        statuses.ShouldContain("html");
        statuses.ShouldContain("dropped");
        statuses.ShouldContain("session");
        sandbox.InjectedFaultCount.ShouldBeGreaterThan(0);
        (await sandbox.State.GetListMembersAsync(ListId, ct)).Count.ShouldBe(500);
    }

    [Fact]
    public async Task FaultInjection_SameSeed_SameSequenceOfFailures()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await RunSequenceAsync(ct);
        var second = await RunSequenceAsync(ct);

        second.ShouldBe(first);
        first.ShouldContain(HttpStatusCode.OK);
        first.Count(s => s != HttpStatusCode.OK).ShouldBeGreaterThan(0);
    }

    private static async Task<List<HttpStatusCode>> RunSequenceAsync(CancellationToken ct)
    {
        var options = new SandboxOptions { FaultRate = 0.5, FaultSeed = 9, FaultKinds = SandboxFaultKinds.AxisFault | SandboxFaultKinds.HtmlErrorPage };
        await using var sandbox = await SandboxPlatform.StartAsync(options, TimeProvider.System, null, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var result = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            result.Add((await client.CallAsync("RpcSession", "getVersion")).Status);
        }

        return result;
    }

    [Fact]
    public async Task Latency_Configured_DelaysEveryCall()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions { Latency = TimeSpan.FromMilliseconds(150) }, TimeProvider.System, null, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        (await client.CallAsync("RpcSession", "getVersion")).Status.ShouldBe(HttpStatusCode.OK);

        watch.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(140));
    }
}
