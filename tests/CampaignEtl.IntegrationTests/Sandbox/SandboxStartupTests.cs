using System.Net;
using System.Net.Sockets;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.IntegrationTests.Sandbox;

public sealed class SandboxStartupTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_ConfiguredListsAndBlocklist_AreThereAtStart()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new SandboxOptions
        {
            RecipientLists = [new SandboxListOptions { Id = 10, Name = "Configured", Attributes = ["firstname"] }],
            BlocklistEntries = ["*@blocked.test"],
        };
        await using var sandbox = await SandboxPlatform.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();

        var codes = (await client.AddAll3FlatAsync(session, 10, [("a", "a@ok.test"), ("b", "b@blocked.test")], ["firstname"], (_, _) => "x")).Ints;

        codes.ShouldBe([0, 3]);
        sandbox.Endpoint.Host.ShouldBe("127.0.0.1");
        sandbox.Endpoint.AbsolutePath.ShouldBe("/soap11/");
    }

    [Fact]
    public async Task StartAsync_ExistingDatabaseAndDropFolder_KeepsStateAcrossRestarts()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new SandboxOptions { DatabasePath = Path.Combine(_folder, "sandbox.sqlite"), DropFolder = Path.Combine(_folder, "drop") };
        await using (var first = await SandboxPlatform.StartAsync(options, TimeProvider.System, null, ct))
        {
            await first.State.CreateRecipientListAsync(1, "kept", [], false, ct);
            await first.State.AddRecipientsAsync(1, [new SandboxRecipient("r1", "r1@example.com", new Dictionary<string, string?>())], ct);
        }

        await using var second = await SandboxPlatform.StartAsync(options, TimeProvider.System, null, ct);

        (await second.State.GetCountAsync(1, ct)).ShouldBe(1);
        second.DropFolder.ShouldBe(Path.GetFullPath(options.DropFolder));
        File.Exists(options.DatabasePath).ShouldBeTrue();
    }

    [Fact]
    public async Task StartAsync_AutoCreateLists_AcceptsUnknownListAndAttributes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions { AutoCreateLists = true }, TimeProvider.System, null, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();

        (await client.AddAll3FlatAsync(session, 555, [("a", "a@ok.test")], ["anything"], (_, _) => "x")).Ints.ShouldBe([0]);
        (await sandbox.State.GetListMembersAsync(555, ct)).Single().Attributes["anything"].ShouldBe("x");
    }

    [Fact]
    public async Task AddAll3Flat_FortyParallelClients_AllRowsArriveOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions(), TimeProvider.System, null, ct);
        await sandbox.State.CreateRecipientListAsync(3, "parallel", ["n"], false, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async worker =>
        {
            var rows = Enumerable.Range(worker * 100, 100).Select(i => ($"id{i}", $"p{i}@example.com")).ToList();
            var first = await client.AddAll3FlatAsync(session, 3, rows, ["n"], (i, _) => rows[i].Item1);
            var again = await client.AddAll3FlatAsync(session, 3, rows, ["n"], (i, _) => rows[i].Item1);
            return (First: first.Ints, Again: again.Ints);
        }));

        answers.ShouldAllBe(a => a.First.All(c => c == 0) && a.Again.All(c => c == 5));
        (await client.GetCountAsync(session, 3)).ShouldBe(4000);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsNamingEveryKey()
    {
        var ex = await Should.ThrowAsync<ArgumentException>(() => SandboxPlatform.StartAsync(
            new SandboxOptions { FaultRate = 2, SessionLifetimeCalls = -1 }, TimeProvider.System, null, TestContext.Current.CancellationToken));

        ex.Message.ShouldContain("Sandbox:FaultRate = 2");
        ex.Message.ShouldContain("Sandbox:SessionLifetimeCalls = -1");
    }

    [Fact]
    public async Task RunStandaloneAsync_GivenPort_ServesUntilCancelled()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = SandboxPlatform.RunStandaloneAsync(new SandboxOptions(), port, TimeProvider.System, NullLoggerFactory.Instance, stop.Token);
        using var client = new SoapTestClient(new Uri($"http://127.0.0.1:{port}/soap11/"));
        SoapAnswer? answer = null;
        for (var attempt = 0; attempt < 50 && answer is null; attempt++)
        {
            try
            {
                answer = await client.CallAsync("RpcSession", "getVersion");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        answer.ShouldNotBeNull().Scalar.ShouldNotBeNull().ShouldContain("sandbox");
        await stop.CancelAsync();
        await run;
        run.IsCompletedSuccessfully.ShouldBeTrue();
    }
}
