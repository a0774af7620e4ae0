using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.IntegrationTests.Journal;

public sealed class RunJournalTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task FinishAttempt_WithPlatformCalls_AreListedWithTheAttempt()
    {
        var ct = TestContext.Current.CancellationToken;
        var journal = await RunJournal.OpenAsync(Path.Combine(_folder, "journal.db"), ct);
        var run = await NewRunAsync(journal, ct);
        var (attemptId, _) = await journal.StartAttemptAsync(run.RunId, StageName.Export, new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero), null, ct);

        await journal.FinishAttemptAsync(attemptId, StageStatus.Succeeded, new StageCounts { RowsIn = 3, RowsOut = 3, PlatformCalls = 7 }, null,
            new DateTimeOffset(2026, 11, 24, 1, 1, 0, TimeSpan.Zero), 60_000, ct);

        (await journal.ListAttemptsAsync(run.RunId, ct)).ShouldHaveSingleItem().PlatformCalls.ShouldBe(7);
    }

    [Fact]
    public async Task Open_JournalFromBeforeThePlatformCallCount_GetsTheColumnAndKeepsItsAttempts()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_folder, "journal.db");
        var journal = await RunJournal.OpenAsync(path, ct);
        var run = await NewRunAsync(journal, ct);
        await journal.StartAttemptAsync(run.RunId, StageName.Export, new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero), null, ct);
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync(ct);
            await using var drop = connection.CreateCommand();
            drop.CommandText = "ALTER TABLE stage_attempt DROP COLUMN platform_calls";
            await drop.ExecuteNonQueryAsync(ct);
        }

        SqliteConnection.ClearAllPools();
        var reopened = await RunJournal.OpenAsync(path, ct);

        (await reopened.ListAttemptsAsync(run.RunId, ct)).ShouldHaveSingleItem().PlatformCalls.ShouldBe(0);
    }

    private static async Task<RunIdentity> NewRunAsync(RunJournal journal, CancellationToken ct)
    {
        var run = RunIdentity.New(new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero)), TimeZoneInfo.Utc);
        await journal.CreateRunAsync(run, RunTrigger.Manual, ct);
        return run;
    }
}
