using System.Diagnostics;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Sandbox;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.IntegrationTests.Nightly;

/// <summary>
/// Suppress, export and refill as the nightly scheduler runs them: the real program in its own process,
/// the embedded sandbox platform on real HTTP, a generated SQLite CRM. Between nights the test plays
/// the platform's part by opening the sandbox's own database.
/// </summary>
public sealed class NightlySequenceTests
{
    private const long NewsletterDe = 1001;

    [Fact]
    public async Task Run_PersonUnsubscribedOnThePlatformTonight_NotExportedAndNotInTheListAfterRefill()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var config = Support.Cli.WriteConfig(workspace.Folder, FastRetries(string.Empty));
        (await Support.Cli.RunAsync(workspace.Folder, "demo", "seed", "--contacts", "300", "--config", config)).ExitCode.ShouldBe(0);
        var first = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
        first.ExitCode.ShouldBe(0, first.ToString());
        first.Stdout.ShouldContain("suppress        1 succeeded");
        first.Stdout.ShouldContain("refill          1 succeeded");

        string unsubscribed;
        string blocklisted;
        await using (var platform = await OpenSandboxAsync(workspace))
        {
            var members = await platform.State.GetListMembersAsync(NewsletterDe, TestContext.Current.CancellationToken);
            members.Count.ShouldBeGreaterThan(10);
            unsubscribed = members[3].RecipientId;
            blocklisted = members[7].Email;
            // Tonight, on the platform: one recipient unsubscribes from everything, one address is blocked.
            await platform.State.AddUnsubscribeAsync(unsubscribed, null, TestContext.Current.CancellationToken);
            await platform.State.AddBlocklistEntryAsync(blocklisted, "complaint", TestContext.Current.CancellationToken);
        }

        var second = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
        second.ExitCode.ShouldBe(0, second.ToString());

        var tonight = workspace.ArchivedFiles("export_newsletter-de_*.csv").OrderBy(File.GetLastWriteTimeUtc).Last();
        var exported = ExportFile.Read(tonight).Rows.Select(r => r[0]).ToList();
        exported.ShouldNotContain(unsubscribed);
        await using (var platform = await OpenSandboxAsync(workspace))
        {
            var members = await platform.State.GetListMembersAsync(NewsletterDe, TestContext.Current.CancellationToken);
            members.Select(m => m.RecipientId).ShouldNotContain(unsubscribed);
            members.Select(m => m.Email).ShouldNotContain(blocklisted);
            // The list holds exactly tonight's accepted rows: the export less what the platform refused.
            var results = workspace.ArchivedFiles("refill-results_newsletter-de_*.csv").OrderBy(File.GetLastWriteTimeUtc).Last();
            var accepted = ExportFile.Read(results).Rows.Where(r => r[1] is "0" or "5").Select(r => r[0]).Order().ToList();
            members.Select(m => m.RecipientId).Order().ShouldBe(accepted);
            ExportFile.Read(results).Rows.Select(r => r[0]).Order().ShouldBe(exported.Order());
        }

        await using var crm = new SqliteConnection($"Data Source={workspace.Data.CrmDatabasePath};Mode=ReadOnly;Pooling=False");
        await crm.OpenAsync(TestContext.Current.CancellationToken);
        (await ScalarAsync(crm, "SELECT has_opted_out_of_email FROM person WHERE id = $id", unsubscribed)).ShouldBe(1L);
        (await ScalarAsync(crm, "SELECT count(*) FROM blocklist_entry WHERE lower(pattern) = lower($id)", blocklisted)).ShouldBe(1L);
    }

    [Fact]
    public async Task Run_TenPercentFaultsAndShortSessions_ReRunsConvergeToTheListsOfAFaultFreeRun()
    {
        using var clean = new TestWorkspace(contacts: 0);
        using var faulty = new TestWorkspace(contacts: 0);
        var cleanConfig = Support.Cli.WriteConfig(clean.Folder, FastRetries(string.Empty));
        var faultyConfig = Support.Cli.WriteConfig(faulty.Folder, FastRetries("""
            , "Sandbox": { "Embedded": true, "FaultRate": 0.1, "SessionLifetimeCalls": 50, "FaultSeed": 11 }
            """));
        foreach (var (folder, config) in new[] { (clean.Folder, cleanConfig), (faulty.Folder, faultyConfig) })
        {
            (await Support.Cli.RunAsync(folder, "demo", "seed", "--contacts", "600", "--seed", "5", "--config", config)).ExitCode.ShouldBe(0);
        }

        var reference = await Support.Cli.RunAsync(clean.Folder, "run", "--config", cleanConfig);
        reference.ExitCode.ShouldBe(0, reference.ToString());

        var run = await Support.Cli.RunAsync(faulty.Folder, "run", "--config", faultyConfig);
        var runId = RunIdOf(run);
        for (var retry = 0; run.ExitCode != 0 && retry < 15; retry++)
        {
            // The operator's move after a failed night: re-run the same run from the stage that failed.
            run.ExitCode.ShouldBe(1, run.ToString());
            var failed = FailedStage(run);
            run = await Support.Cli.RunAsync(faulty.Folder, "run", "--run-id", runId, "--from", failed, "--config", faultyConfig);
        }

        run.ExitCode.ShouldBe(0, run.ToString());
        foreach (var listId in new long[] { 1001, 1002, 1003 })
        {
            await using var expected = await OpenSandboxAsync(clean);
            await using var actual = await OpenSandboxAsync(faulty);
            var want = (await expected.State.GetListMembersAsync(listId, TestContext.Current.CancellationToken)).Select(m => m.RecipientId).Order().ToList();
            var got = (await actual.State.GetListMembersAsync(listId, TestContext.Current.CancellationToken)).Select(m => m.RecipientId).Order().ToList();
            want.Count.ShouldBeGreaterThan(0);
            got.ShouldBe(want, $"recipient list {listId}");
        }
    }

    [Fact]
    public async Task Run_RefillProcessKilledMidway_ReRunEndsWithExactlyTheExportedList()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        // Slow calls and small batches, so the kill lands between the clear and the last addAll3Flat.
        var config = Support.Cli.WriteConfig(workspace.Folder, FastRetries("""
            , "Refill": { "BatchSize": 10 }, "Sandbox": { "Embedded": true, "Latency": "00:00:00.150" }
            """));
        (await Support.Cli.RunAsync(workspace.Folder, "demo", "seed", "--contacts", "2000", "--config", config)).ExitCode.ShouldBe(0);
        var exported = await Support.Cli.RunAsync(workspace.Folder, "run", "--stage", "suppress", "--stage", "export", "--config", config);
        exported.ExitCode.ShouldBe(0, exported.ToString());
        var runId = RunIdOf(exported);

        await KillMidwayAsync(workspace, "run", "--run-id", runId, "--stage", "refill", "--config", config);
        await using (var platform = await OpenSandboxAsync(workspace))
        {
            var partial = await platform.State.GetCountAsync(NewsletterDe, TestContext.Current.CancellationToken);
            var file = workspace.ArchivedFiles("export_newsletter-de_*.csv").Single();
            partial.ShouldBeLessThan(ExportFile.Read(file).Rows.Count, "the kill should land in the middle of the refill");
            partial.ShouldBeGreaterThan(0, "the kill should land after the clear and some batches");
        }

        var rerun = await Support.Cli.RunAsync(workspace.Folder, "run", "--run-id", runId, "--stage", "refill", "--config", config);
        rerun.ExitCode.ShouldBe(0, rerun.ToString());
        rerun.Stdout.ShouldContain("refill          2 succeeded");

        foreach (var (name, listId) in new[] { ("newsletter-de", 1001L), ("newsletter-en", 1002L), ("product-updates-dach", 1003L) })
        {
            var results = workspace.ArchivedFiles($"refill-results_{name}_*.csv").Single(f => f.Contains("attempt-2", StringComparison.Ordinal));
            var accepted = ExportFile.Read(results).Rows.Where(r => r[1] is "0" or "5").Select(r => r[0]).Order().ToList();
            var exportIds = ExportFile.Read(workspace.ArchivedFiles($"export_{name}_*.csv").Single()).Rows.Select(r => r[0]).Order().ToList();
            // Every exported row was answered by the re-run (nothing left out), and the list holds the accepted ones.
            ExportFile.Read(results).Rows.Select(r => r[0]).Order().ShouldBe(exportIds);
            await using var platform = await OpenSandboxAsync(workspace);
            var members = (await platform.State.GetListMembersAsync(listId, TestContext.Current.CancellationToken)).Select(m => m.RecipientId).Order().ToList();
            members.ShouldBe(accepted, $"recipient list {listId}");
        }
    }

    private static string FastRetries(string more) => $$"""
        {
          "Data": { "Folder": "%DATA%" },
          "Platform": { "Retry": { "Attempts": 4, "BaseDelay": "00:00:00.010" } }
          {{more}}
        }
        """;

    private static Task<SandboxPlatform> OpenSandboxAsync(TestWorkspace workspace) =>
        SandboxPlatform.StartAsync(
            new SandboxOptions
            {
                DatabasePath = Path.Combine(workspace.Folder, "sandbox", "sandbox.db"),
                DropFolder = Path.Combine(workspace.Folder, "sandbox", "drop"),
            },
            TimeProvider.System,
            null,
            TestContext.Current.CancellationToken);

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, string id)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    private static string RunIdOf(Support.Cli.Result result)
    {
        var line = result.Stdout.Split('\n').First(l => l.StartsWith("Run ", StringComparison.Ordinal));
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    }

    private static string FailedStage(Support.Cli.Result result) =>
        result.Stdout.Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .First(parts => parts.Length > 2 && parts[2] is "failed" or "interrupted")[0];

    /// <summary>Starts the program and kills it (SIGKILL: no clean-up runs) once the refill is under way.</summary>
    /// <summary>
    /// Starts the program and kills it once the sandbox's first list shows the refill under way: cleared (its count
    /// changed from what the demo left there) and some batches in, read from the sandbox's database by a second reader.
    /// A fixed delay would land before the clear on a busy machine.
    /// </summary>
    private static async Task KillMidwayAsync(TestWorkspace workspace, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workspace.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CampaignEtl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var sandbox = new SqliteConnectionStringBuilder { DataSource = Path.Combine(workspace.Folder, "sandbox", "sandbox.db"), Mode = SqliteOpenMode.ReadOnly }.ToString();
        var before = await CountAsync(sandbox);
        using var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        long count;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            count = await CountAsync(sandbox);
        }
        while ((count == before || count < 30) && !process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(1));

        process.HasExited.ShouldBeFalse("the refill finished before it could be killed; make it slower");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        static async Task<long> CountAsync(string connectionString)
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM recipient WHERE list_id = $list";
            command.Parameters.AddWithValue("$list", NewsletterDe);
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        }
    }
}
