using System.Text.Json;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.IntegrationTests.Cli;

public sealed class CliTests
{
    [Fact]
    public async Task Run_DemoDefaults_Exits0PrintsTheSummaryAndStatusAndAuditAgree()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, Support.Cli.DataOnly);

        var seed = await Support.Cli.RunAsync(workspace.Folder, "demo", "seed", "--contacts", "300", "--config", config);
        seed.ExitCode.ShouldBe(0, seed.ToString());
        var run = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stdout.ShouldContain("suppress        1 succeeded");
        run.Stdout.ShouldContain("export          1 succeeded");
        run.Stdout.ShouldContain("refill          1 succeeded");
        run.Stdout.ShouldContain("ingest          1 succeeded");
        run.Stdout.ShouldContain("files-ingested");
        run.Stdout.ShouldContain("Result: succeeded");
        run.Stdout.ShouldNotContain("Platform calls: 0");

        var status = await Support.Cli.RunAsync(workspace.Folder, "status", "--json", "--config", config);
        status.ExitCode.ShouldBe(0, status.ToString());
        using var json = JsonDocument.Parse(status.Stdout);
        var attempts = json.RootElement.GetProperty("runs")[0].GetProperty("attempts").EnumerateArray().ToList();
        attempts.Select(a => a.GetProperty("stage").GetString()).ShouldBe(["suppress", "export", "refill", "ingest"]);
        foreach (var attempt in attempts)
        {
            attempt.GetProperty("status").GetString().ShouldBe("succeeded");
            (attempt.GetProperty("rowsIn").GetInt64()).ShouldBe(attempt.GetProperty("rowsOut").GetInt64()
                + attempt.GetProperty("rowsRejected").GetInt64() + attempt.GetProperty("rowsExcluded").GetInt64());
        }

        // Export talks to no platform; suppress and refill do, and the run's total is theirs.
        attempts[1].GetProperty("platformCalls").GetInt64().ShouldBe(0);
        attempts[0].GetProperty("platformCalls").GetInt64().ShouldBeGreaterThan(0);
        attempts[2].GetProperty("platformCalls").GetInt64().ShouldBeGreaterThan(0);
        json.RootElement.GetProperty("runs")[0].GetProperty("platformCalls").GetInt64()
            .ShouldBe(attempts.Sum(a => a.GetProperty("platformCalls").GetInt64()));
        status.Stdout.ShouldNotContain("@");

        var audit = await Support.Cli.RunAsync(workspace.Folder, "audit", "verify", "--config", config);
        audit.ExitCode.ShouldBe(0, audit.ToString());
        var export = workspace.ArchivedFiles("export_newsletter-en_*.csv").Single();
        await File.AppendAllTextAsync(Tamper.MakeWritable(export), "tampered\r\n", TestContext.Current.CancellationToken);
        var tampered = await Support.Cli.RunAsync(workspace.Folder, "audit", "verify", "--config", config);
        tampered.ExitCode.ShouldBe(4, tampered.ToString());
        tampered.Stdout.ShouldContain("changed      " + Path.GetRelativePath(workspace.Data.ArchiveFolder, export).Replace('\\', '/'));
    }

    [Fact]
    public async Task Run_BrokenConfiguration_Exits2AndListsEveryError()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, """
            {
              "Data": { "Folder": "%DATA%" },
              "Schedule": { "Cron": "0 25 * * *" },
              "Export": {
                "RecipientLists": [
                  { "Name": "no-list-id", "ListId": 0 },
                  { "Name": "no-opt-in", "OptInId": null },
                  { "Name": "two-opt-ins", "OptInId": [ 501, 502 ] }
                ]
              }
            }
            """);

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("Schedule:Cron = '0 25 * * *': not a five-field cron expression");
        result.Stderr.ShouldContain("Export:RecipientLists:0:ListId = 0: missing or not a positive platform recipient list id");
        result.Stderr.ShouldContain("Export:RecipientLists:1:OptInId = '': missing; a recipient list needs exactly one opt-in id (advertising consent)");
        result.Stderr.ShouldContain("Export:RecipientLists:2:OptInId = [501, 502]: 2 opt-ins given; a recipient list has exactly one advertising consent, never mixed");
        Directory.Exists(workspace.Data.ArchiveFolder).ShouldBeFalse();
    }

    [Fact]
    public async Task SandboxServe_BrokenSandboxSection_Exits2AndListsEveryError()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, """
            { "Data": { "Folder": "%DATA%" }, "Sandbox": { "MandatorId": 0, "FaultRate": 1.5 } }
            """);

        var result = await Support.Cli.RunAsync(workspace.Folder, "sandbox", "serve", "--port", "70000", "--config", config);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("Sandbox:MandatorId = 0");
        result.Stderr.ShouldContain("Sandbox:FaultRate = 1.5");
        result.Stderr.ShouldContain("--port = 70000");
    }

    [Fact]
    public async Task Run_TyposBadValuesAndRuleBreaks_Exits2ListingEveryOneAtOnce()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, """
            {
              "Data": { "Folder": "%DATA%" },
              "Schedule": { "Cron": "0 25 * * *", "CatchUp": true },
              "Export": {
                "BatchSize": "abc",
                "RecipientLists": [ { "Name": "x", "ListId": "zz", "OptInId": 501, "Selection": { "MarketingLists": [ "Newsletter DE" ] }, "Attribs": { } } ]
              },
              "Suppress": { "BatchSize": [ 100, 200 ] }
            }
            """);

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("the configuration has 7 problem(s)");
        result.Stderr.ShouldContain("Suppress:BatchSize: a list where one whole number belongs");
        // The file's list replaces the defaults' lists whole: it inherits no description from the demo list at its position.
        result.Stderr.ShouldContain("Export:RecipientLists:0:Description is empty");
        result.Stderr.ShouldContain("Schedule:CatchUp: unknown configuration key");
        result.Stderr.ShouldContain("Export:BatchSize = 'abc': not a valid whole number");
        result.Stderr.ShouldContain("Export:RecipientLists:0:ListId = 'zz': not a valid whole number");
        result.Stderr.ShouldContain("Export:RecipientLists:0:Attribs: unknown configuration key");
        result.Stderr.ShouldContain("Schedule:Cron = '0 25 * * *': not a five-field cron expression");
    }

    [Fact]
    public async Task Run_MisspelledKey_Exits2NamingTheKey()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, """
            { "Data": { "Folder": "%DATA%" },
              "Export": { "RecipientLists": [ { "Name": "a", "ListId": 1, "OptInIds": 501, "Description": "d", "Selection": { "MarketingLists": [ "x" ] } } ] } }
            """);

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("Export:RecipientLists:0:OptInIds: unknown configuration key");
    }

    [Fact]
    public async Task Run_UnknownSelection_Exits2NamingIt()
    {
        using var workspace = new TestWorkspace(contacts: 200);
        var config = Support.Cli.WriteConfig(workspace.Folder, """
            { "Data": { "Folder": "%DATA%" },
              "Export": { "RecipientLists": [ { "Name": "newsletter-de", "ListId": 1001, "OptInId": 501, "Description": "d",
                                                "Selection": { "MarketingLists": [ "Newsletter DE", "Nonexistent list" ] } } ] } }
            """);

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("Export:RecipientLists:0:Selection:MarketingLists:1: marketing list 'Nonexistent list' does not exist in the CRM");
    }

    [Fact]
    public async Task Run_WhileASecondProcessHoldsTheLock_Exits3()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/flock"))
        {
            Assert.Skip("needs Linux and flock(1) to see the other process's lock");
        }

        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, Support.Cli.DataOnly);
        // A long demo seed holds the run lock for seconds; the run started meanwhile must give way.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = workspace.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "CampaignEtl.dll"), "demo", "seed", "--contacts", "200000", "--config", config })
        {
            start.ArgumentList.Add(arg);
        }

        using var seeding = System.Diagnostics.Process.Start(start)!;
        try
        {
            var held = false;
            for (var i = 0; i < 300 && !held && !seeding.HasExited; i++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
                held = File.Exists(workspace.Data.LockPath) && !await FlockFreeAsync(workspace.Data.LockPath);
            }

            held.ShouldBeTrue("the seeding process never held the lock");
            var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

            result.ExitCode.ShouldBe(3, result.ToString());
            result.Stderr.ShouldContain("another run holds the lock");
        }
        finally
        {
            seeding.Kill(entireProcessTree: true);
            await seeding.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    private static async Task<bool> FlockFreeAsync(string path)
    {
        using var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["-n", path, "true"]) { RedirectStandardError = true })!;
        await probe.WaitForExitAsync();
        return probe.ExitCode == 0;
    }

    [Fact]
    public async Task Run_WhileAnotherRunHoldsTheLock_Exits3AndTouchesNothing()
    {
        using var workspace = new TestWorkspace(contacts: 100);
        var config = Support.Cli.WriteConfig(workspace.Folder, Support.Cli.DataOnly);
        using (RunLock.Acquire(workspace.Data.LockPath, "test holder"))
        {
            var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
            result.ExitCode.ShouldBe(3, result.ToString());
            result.Stderr.ShouldContain("another run holds the lock");
        }

        workspace.ArchivedFiles().ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_DataFolderIsAFile_FailsWithAOneLineReason()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var blocker = Path.Combine(workspace.Folder, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "x", TestContext.Current.CancellationToken);
        var config = Support.Cli.WriteConfig(workspace.Folder, """{ "Data": { "Folder": "%DATA%/not-a-folder/var" } }""");

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

        result.ExitCode.ShouldBe(1, result.ToString());
        result.Stderr.Trim().Split('\n').ShouldHaveSingleItem().ShouldStartWith("error: the data folder");
    }

    [Theory]
    [InlineData("run --stage nonsense")]
    [InlineData("run --run-id ../../etc")]
    [InlineData("run --stage export --from export")]
    [InlineData("demo seed --contacts 0")]
    [InlineData("bench export --contacts 0")]
    [InlineData("frobnicate")]
    public async Task Cli_BadArguments_Exit2(string arguments)
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var result = await Support.Cli.RunAsync(workspace.Folder, arguments.Split(' '));
        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldStartWith("error: ");
    }

    [Fact]
    public async Task Run_StageIngestWithAnEmptyDrop_SucceedsWithNothingToIngest()
    {
        using var workspace = new TestWorkspace(contacts: 100);
        var config = Support.Cli.WriteConfig(workspace.Folder, Support.Cli.DataOnly);
        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--stage", "ingest", "--config", config);
        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stdout.ShouldMatch(@"(?m)^ingest\s+1 succeeded\s+0\s+0\s+0\s+0\s");
    }

    [Fact]
    public async Task Run_LocalDropFolderMissing_IngestFailsNamingTheFolder()
    {
        using var workspace = new TestWorkspace(contacts: 100);
        var missing = Path.Combine(workspace.Folder, "no-such-drop");
        var config = Support.Cli.WriteConfig(workspace.Folder, $$"""{ "Data": { "Folder": "%DATA%" }, "Transfer": { "LocalFolder": "{{missing}}" } }""");
        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--stage", "ingest", "--config", config);
        result.ExitCode.ShouldNotBe(0, result.ToString());
        result.Stdout.ShouldContain("does not exist");
        result.Stdout.ShouldContain(missing);
    }

    [Fact]
    public async Task Run_ExportWithoutTheRunsSuppress_Exits5SayingWhatToRunAndTouchesNothing()
    {
        using var workspace = new TestWorkspace(contacts: 100);
        var config = Support.Cli.WriteConfig(workspace.Folder, Support.Cli.DataOnly);

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--from", "export", "--config", config);

        result.ExitCode.ShouldBe(5, result.ToString());
        result.Stderr.ShouldContain("export refused: suppress has not succeeded");
        result.Stderr.ShouldContain("--without-suppress");
        workspace.ArchivedFiles().ShouldBeEmpty();
        (await (await workspace.JournalAsync()).ListRunsAsync(10, TestContext.Current.CancellationToken)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_EmbeddedSandboxWithBadFaultRate_Exits2NamingTheKey()
    {
        using var workspace = new TestWorkspace(contacts: 100);
        var config = Support.Cli.WriteConfig(workspace.Folder, """{ "Data": { "Folder": "%DATA%" }, "Sandbox": { "Embedded": true, "FaultRate": 2 } }""");

        var result = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("Sandbox:FaultRate");
    }
}
