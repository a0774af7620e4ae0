using System.Diagnostics;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.IntegrationTests.Worker;

public sealed class NightlyWorkerTests
{
    [Fact]
    public async Task Worker_MissedNightlyRun_CatchesUpAtStartAndStopsCleanlyOnSigterm()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("SIGTERM is a Unix signal");
        }

        using var workspace = new TestWorkspace(contacts: 200);
        var config = Support.Cli.WriteConfig(workspace.Folder, """{ "Data": { "Folder": "%DATA%" }, "Schedule": { "Cron": "0 1 * * *", "CatchUpMissedRun": true } }""");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workspace.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "CampaignEtl.dll"), "worker", "--config", config })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var deadline = Stopwatch.StartNew();
            IReadOnlyList<Pipeline.Journal.AttemptRecord> attempts = [];
            while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !attempts.Any(a => a.Stage == StageName.Ingest && a.Status == StageStatus.Succeeded))
            {
                await Task.Delay(250, TestContext.Current.CancellationToken);
                if (File.Exists(workspace.Data.JournalPath))
                {
                    var journal = await workspace.JournalAsync();
                    var runs = await journal.ListRunsAsync(1, TestContext.Current.CancellationToken);
                    attempts = runs.Count == 0 ? [] : await journal.ListAttemptsAsync(runs[0].RunId, TestContext.Current.CancellationToken);
                }
            }

            attempts.Select(a => (a.Stage, a.Status)).ShouldBe(
                [(StageName.Suppress, StageStatus.Succeeded), (StageName.Export, StageStatus.Succeeded), (StageName.Refill, StageStatus.Succeeded), (StageName.Ingest, StageStatus.Succeeded)],
                "no complete catch-up run within 60 s");
            var run = (await (await workspace.JournalAsync()).ListRunsAsync(1, TestContext.Current.CancellationToken)).Single();
            run.Trigger.ShouldBe("catch-up");
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.ShouldBe(0, await stderr + await stdout);
        (await stderr).ShouldContain("Next nightly run at");
    }

    [Fact]
    public async Task Worker_CatchUpRunFailsBeforeItsStages_LogsWhyAndWaitsForTheNextScheduledRun()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("SIGTERM is a Unix signal");
        }

        using var workspace = new TestWorkspace(contacts: 0);
        var blocker = Path.Combine(workspace.Folder, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "a file where the data folder should be", TestContext.Current.CancellationToken);
        var config = Support.Cli.WriteConfig(workspace.Folder, """{ "Data": { "Folder": "%DATA%/not-a-folder/data" }, "Schedule": { "Cron": "0 1 * * *", "CatchUpMissedRun": true } }""");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workspace.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "CampaignEtl.dll"), "worker", "--config", config })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var log = new System.Text.StringBuilder();
        using (var waiting = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!log.ToString().Contains("Next nightly run at", StringComparison.Ordinal)
                && await process.StandardError.ReadLineAsync(waiting.Token) is { } line)
            {
                log.AppendLine(line);
            }
        }

        process.HasExited.ShouldBeFalse(log.ToString());
        log.ToString().ShouldContain("Scheduled run failed before its stages could run");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var rest = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.ShouldBe(0, log + await rest + await stdout);
    }
}
