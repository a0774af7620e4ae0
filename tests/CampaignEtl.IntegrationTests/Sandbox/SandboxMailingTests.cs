using CampaignEtl.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.IntegrationTests.Sandbox;

public sealed class SandboxMailingTests
{
    private const long ListId = 300;
    private static readonly DateOnly Day = new(2026, 11, 23);

    private static async Task<SandboxPlatform> StartWithMembersAsync(int members, FakeTimeProvider time, CancellationToken ct)
    {
        var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions(), time, null, ct);
        await sandbox.State.CreateRecipientListAsync(ListId, "Newsletter", ["firstname"], false, ct);
        for (var start = 0; start < members; start += 1000)
        {
            var batch = Enumerable.Range(start, Math.Min(1000, members - start))
                .Select(i => new SandboxRecipient($"003{i:D12}", $"person{i}@example.com", new Dictionary<string, string?> { ["firstname"] = $"P{i}" }))
                .ToList();
            (await sandbox.State.AddRecipientsAsync(ListId, batch, ct)).ShouldAllBe(c => c == 0);
        }

        return sandbox;
    }

    [Fact]
    public async Task SimulateMailing_SameSeed_SameEventsAndSameFileBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var rates = new MailingSimulationRates { HardBounce = 0.05, SoftBounce = 0.05, Open = 0.5, Click = 0.5, Unsubscribe = 0.1 };
        await using var a = await StartWithMembersAsync(400, new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero)), ct);
        await using var b = await StartWithMembersAsync(400, new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero)), ct);
        await using var c = await StartWithMembersAsync(400, new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero)), ct);

        var ra = await a.SimulateMailingAsync(9001, ListId, 17, Day, rates, ct);
        var rb = await b.SimulateMailingAsync(9001, ListId, 17, Day, rates, ct);
        var rc = await c.SimulateMailingAsync(9001, ListId, 18, Day, rates, ct);

        (ra with { ResponseFile = "" }).ShouldBe(rb with { ResponseFile = "" });
        (await File.ReadAllBytesAsync(ra.ResponseFile, ct)).ShouldBe(await File.ReadAllBytesAsync(rb.ResponseFile, ct));
        (await File.ReadAllBytesAsync(rc.ResponseFile, ct)).ShouldNotBe(await File.ReadAllBytesAsync(ra.ResponseFile, ct));
        (await a.State.GetEventsAsync(9001, ct)).ShouldBe(await b.State.GetEventsAsync(9001, ct));
        ra.Sends.ShouldBe(400);
        ra.Opens.ShouldBeGreaterThan(0);
        ra.Clicks.ShouldBeGreaterThan(0);
        ra.HardBounces.ShouldBeGreaterThan(0);
        ra.SoftBounces.ShouldBeGreaterThan(0);
        ra.Unsubscribes.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task SimulateMailing_ResponseFile_Rfc4180WithHeaderAndUniqueName()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await StartWithMembersAsync(50, new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero)), ct);

        var first = await sandbox.SimulateMailingAsync(1, ListId, 1, Day, null, ct);
        var second = await sandbox.SimulateMailingAsync(2, ListId, 1, Day, null, ct);
        var exports1 = await sandbox.WriteSuppressionExportsAsync(Day, ct);
        var exports2 = await sandbox.WriteSuppressionExportsAsync(Day, ct);

        Path.GetFileName(first.ResponseFile).ShouldBe("responses_1_20261123_1.csv");
        Path.GetFileName(second.ResponseFile).ShouldBe("responses_2_20261123_1.csv");
        Path.GetFileName(exports1.Outbounces).ShouldBe("outbounces_20261123_1.csv");
        Path.GetFileName(exports2.Outbounces).ShouldBe("outbounces_20261123_2.csv");
        Path.GetFileName(exports2.Unsubscribes).ShouldBe("unsubscribes_20261123_2.csv");
        var bytes = await File.ReadAllBytesAsync(first.ResponseFile, ct);
        bytes[0].ShouldNotBe((byte)0xEF);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        text.ShouldStartWith("event-type,occurred-at,mailing-id,recipient-id,email,list-id,link-url,bounce-reason\r\n");
        text.Replace("\r\n", string.Empty, StringComparison.Ordinal).ShouldNotContain('\n');
        text.Split("\r\n")[1].ShouldMatch(@"^send,2026-11-23T08:\d\d:\d\dZ,1,003000000000000,person0@example.com,300,,$");
        Directory.GetFiles(sandbox.DropFolder, "*.tmp").ShouldBeEmpty();
    }

    [Fact]
    public async Task ClosedLoop_MoreThan1000Rows_PagesByStartRow()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
        await using var sandbox = await StartWithMembersAsync(1500, time, ct);
        var result = await sandbox.SimulateMailingAsync(42, ListId, 5, Day, new MailingSimulationRates { HardBounce = 0, SoftBounce = 0, Open = 1, Click = 0.2, Unsubscribe = 0.02 }, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();
        var since = time.GetUtcNow().AddHours(-1).ToUnixTimeMilliseconds();
        var until = time.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds();

        var page1 = await client.CallAsync("RpcClosedLoop", "getOpens", Part.Str(session), Part.Long(since), Part.Long(until), Part.Int(0), Part.Int(1000));
        var page2 = await client.CallAsync("RpcClosedLoop", "getOpens", Part.Str(session), Part.Long(since), Part.Long(until), Part.Int(1000), Part.Int(1000));
        var outside = await client.CallAsync("RpcClosedLoop", "getOpens", Part.Str(session), Part.Long(until), Part.Long(until + 1000), Part.Int(0), Part.Int(1000));
        var tooMany = await client.CallAsync("RpcClosedLoop", "getOpens", Part.Str(session), Part.Long(since), Part.Long(until), Part.Int(0), Part.Int(1001));
        var clicks = await client.CallAsync("RpcClosedLoop", "getClicks", Part.Str(session), Part.Long(since), Part.Long(until), Part.Int(0), Part.Int(1000));
        var unsubscribes = await client.CallAsync("RpcClosedLoop", "getMailingUnsubscribes", Part.Str(session), Part.Long(since), Part.Long(until), Part.Int(0), Part.Int(1000));
        var mailings = await client.CallAsync("RpcClosedLoop", "getMailings", Part.Str(session), Part.Long(since), Part.Long(until), Part.Int(0), Part.Int(1000));

        result.Opens.ShouldBe(1500);
        page1.Table.Count.ShouldBe(1000);
        page2.Table.Count.ShouldBe(500);
        page1.Text.ShouldContain("soapenc:arrayType=\"soapenc:string[][1000]\"");
        page1.Table[0][0].ShouldBe("42");
        page1.Table[0][1].ShouldBe("003000000000000");
        page2.Table[^1][1].ShouldBe("003000000001499");
        outside.Table.ShouldBeEmpty();
        tooMany.IsFault.ShouldBeTrue();
        clicks.Table.Count.ShouldBe(result.Clicks);
        clicks.Table[0][4].ShouldStartWith("https://www.example.com/mailing/42/link-");
        unsubscribes.Table.Count.ShouldBe(result.Unsubscribes);
        mailings.Table.Single()[0].ShouldBe("42");
    }

    [Fact]
    public async Task SimulateMailing_BouncesAndUnsubscribes_SuppressTheNextRefill()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions { HardBounceThreshold = 1 }, time, null, ct);
        await sandbox.State.CreateRecipientListAsync(ListId, "Newsletter", [], false, ct);
        var people = Enumerable.Range(0, 200).Select(i => new SandboxRecipient($"r{i:D3}", $"r{i}@example.com", new Dictionary<string, string?>())).ToList();
        await sandbox.State.AddRecipientsAsync(ListId, people, ct);

        var result = await sandbox.SimulateMailingAsync(7, ListId, 3, Day, new MailingSimulationRates { HardBounce = 0.1, Open = 0.8, Unsubscribe = 0.2 }, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();
        await client.CallAsync("RpcRecipient", "clear", Part.Str(session), Part.Long(ListId));
        var codes = (await client.AddAll3FlatAsync(session, ListId, people.Select(p => (p.RecipientId, p.Email)).ToList(), [], (_, _) => null)).Ints;
        var since = time.GetUtcNow().AddDays(-1).ToUnixTimeMilliseconds();
        var outbounces = await client.CallAsync("RpcClosedLoop", "getOutBounces", Part.Str(session), Part.Long(since), Part.Long(since + (2 * 86_400_000L)), Part.Int(0), Part.Int(1000));

        codes.Count(c => c == 4).ShouldBe(result.HardBounces);
        codes.Count(c => c == 2).ShouldBe(result.Unsubscribes);
        result.Outbounces.ShouldBe(result.HardBounces);
        outbounces.Table.Count.ShouldBe(result.Outbounces);
    }
}
