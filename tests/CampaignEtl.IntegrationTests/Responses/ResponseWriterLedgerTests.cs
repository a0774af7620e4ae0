using CampaignEtl.Crm.Responses;
using Microsoft.Data.Sqlite;
using static CampaignEtl.Crm.Responses.ResponseEventType;
using static CampaignEtl.IntegrationTests.Responses.ResponseCrm;

namespace CampaignEtl.IntegrationTests.Responses;

/// <summary>The event and file ledgers and the batch transaction: nothing is ingested twice, a failed or dry batch leaves nothing.</summary>
public sealed class ResponseWriterLedgerTests
{
    [Fact]
    public async Task ApplyBatch_DuplicateRowSameFile_Rejected()
    {
        using var crm = await CreateAsync();
        var open = crm.Event(Open, ActivityMailing, Alice, 1);

        var (results, _) = await crm.ApplyAsync(open, open with { Line = 7 });

        results[0].ShouldBe(ResponseResult.Applied);
        results[1].ShouldBe(ResponseResult.Reject("duplicate-row", "same event as line 1"));
        (await crm.ScalarAsync("SELECT count(*) FROM task")).ShouldBe("1");
        (await crm.ScalarAsync($"SELECT number_opened FROM campaign WHERE id = '{ActivityMode}'")).ShouldBe("1");
    }

    [Fact]
    public async Task ApplyBatch_SameEventOtherFile_Ignored()
    {
        using var crm = await CreateAsync();
        var open = crm.Event(Open, ActivityMailing, Alice, 1);
        await crm.ApplyAsync(open);

        var (results, _) = await crm.ApplyAsync(open with { File = OtherFile, Line = 12 });

        results.ShouldBe([ResponseResult.Ignore("already-applied", $"{ArchivedFile} line 1")]);
        (await crm.ScalarAsync("SELECT count(*) FROM task")).ShouldBe("1");
        (await crm.ScalarAsync($"SELECT number_opened FROM campaign WHERE id = '{ActivityMode}'")).ShouldBe("1");
    }

    [Fact]
    public async Task ApplyBatch_SameEventOtherAddressCase_SameKey()
    {
        using var crm = await CreateAsync();
        var open = crm.Event(Open, ActivityMailing, "", 1, email: "alice@example.com");
        await crm.ApplyAsync(open);

        var (results, _) = await crm.ApplyAsync(open with { Event = open.Event with { Email = " ALICE@example.com" }, File = OtherFile });

        results.ShouldHaveSingleItem().Rule.ShouldBe("already-applied");
    }

    [Fact]
    public async Task ApplyBatch_CommitFalse_ChangesNothing()
    {
        using var crm = await CreateAsync();
        crm.Settings = DefaultSettings() with { CreateMissingStatuses = true, StatusLabels = new Dictionary<ResponseEventType, string> { [Click] = "Clicked Link" } };
        await using var writer = await crm.OpenAsync();

        var batch = new[]
        {
            crm.Event(Click, CampaignMailing, Alice, 1, "https://example.com/a"),
            crm.Event(HardBounce, UnlinkedMailing, Bob, 2),
            crm.Event(Click, ActivityMailing, Alice, 3, "https://example.com/b"),
        };
        var results = await writer.ApplyBatchAsync(batch, Progress(3, complete: true), commit: false, CancellationToken.None);
        var again = await writer.ApplyBatchAsync(batch, Progress(3, complete: true), commit: false, CancellationToken.None);

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        again.ShouldBe(results);
        (await ChangedRowsAsync(crm)).ShouldBe("0|0|0|0|0|0|0|0|0");
        (await ResponseWriter.FindFileAsync(crm.Workspace.Crm, "responses_20261124.csv", CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task ApplyBatch_LedgerPartialThenComplete_EntryFollows()
    {
        using var crm = await CreateAsync();
        await using var writer = await crm.OpenAsync();

        await writer.ApplyBatchAsync([crm.Event(Open, CampaignMailing, Alice, 1)], Progress(1), commit: true, CancellationToken.None);
        var partial = await ResponseWriter.FindFileAsync(crm.Workspace.Crm, "responses_20261124.csv", CancellationToken.None);
        await writer.ApplyBatchAsync([crm.Event(Open, CampaignMailing, Bob, 2)], Progress(2, complete: true), commit: true, CancellationToken.None);
        var complete = await ResponseWriter.FindFileAsync(crm.Workspace.Crm, "responses_20261124.csv", CancellationToken.None);

        partial.ShouldBe(new IngestLedgerEntry("responses_20261124.csv", "aa11", IngestFileState.Partial, 1, "run-1", ArchivedFile, new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero)));
        complete.ShouldBe(partial! with { State = IngestFileState.Complete, LastLine = 2 });
        (await ResponseWriter.FindFileAsync(crm.Workspace.Crm, "never.csv", CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task ApplyBatch_SameNameOtherContent_ThrowsAndChangesNothing()
    {
        using var crm = await CreateAsync();
        await using var writer = await crm.OpenAsync();
        await writer.ApplyBatchAsync([crm.Event(Open, CampaignMailing, Alice, 1)], Progress(1), commit: true, CancellationToken.None);

        await Should.ThrowAsync<InvalidOperationException>(() =>
            writer.ApplyBatchAsync([crm.Event(Open, CampaignMailing, Bob, 2)], Progress(2, sha: "bb22"), commit: true, CancellationToken.None));

        (await crm.MemberStatusAsync(CampaignMode, Bob)).ShouldBe("<none>");
        (await ResponseWriter.FindFileAsync(crm.Workspace.Crm, "responses_20261124.csv", CancellationToken.None))!.Sha256.ShouldBe("aa11");
    }

    [Fact]
    public async Task ApplyBatch_BatchThatThrows_LeavesNothing()
    {
        using var crm = await CreateAsync();
        crm.Settings = DefaultSettings() with { CreateMissingStatuses = true, StatusLabels = new Dictionary<ResponseEventType, string> { [Click] = "Clicked Link" } };
        // A campaign whose sync mode the writer does not know fails the batch after earlier events were written.
        await crm.Workspace.ExecuteCrmAsync("""
            PRAGMA ignore_check_constraints = ON;
            INSERT INTO campaign (id, name, type, status, platform_mailing_id, sync_mode, created_at, updated_at)
                VALUES ('701000000000099', 'Broken', 'Email', 'In Progress', 7777, 'mystery', 'x', 'x');
            """);
        await using var writer = await crm.OpenAsync();
        var batch = new[]
        {
            crm.Event(Click, CampaignMailing, Alice, 1, "https://example.com/a"),
            crm.Event(HardBounce, UnlinkedMailing, Bob, 2),
            crm.Event(Open, ActivityMailing, Alice, 3),
            crm.Event(Open, NotesMailing, Alice, 4),
            crm.Event(Open, 7777, Alice, 5),
        };

        await Should.ThrowAsync<InvalidOperationException>(() => writer.ApplyBatchAsync(batch, Progress(5), commit: true, CancellationToken.None));
        (await ChangedRowsAsync(crm)).ShouldBe("0|0|0|0|0|0|0|0|0");

        // The writer stays usable, and a status it created in the failed batch is created again.
        var results = await writer.ApplyBatchAsync(batch[..4], Progress(4), commit: true, CancellationToken.None);
        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Clicked Link");
    }

    [Fact]
    public async Task ApplyBatch_Cancelled_LeavesNothing()
    {
        using var crm = await CreateAsync();
        await using var writer = await crm.OpenAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() =>
            writer.ApplyBatchAsync([crm.Event(Open, CampaignMailing, Alice, 1)], Progress(1), commit: true, cancelled.Token));

        (await ChangedRowsAsync(crm)).ShouldBe("0|0|0|0|0|0|0|0|0");
    }

    [Fact]
    public async Task OpenAsync_CrmWithoutIngestTables_TablesAdded()
    {
        using var crm = await CreateAsync();
        await crm.Workspace.ExecuteCrmAsync("DROP TABLE ingested_file; DROP TABLE response_event_ledger; DROP TABLE task_custom_field;");
        SqliteConnection.ClearAllPools();

        (await ResponseWriter.FindFileAsync(crm.Workspace.Crm, "responses_20261124.csv", CancellationToken.None)).ShouldBeNull();
        var (results, _) = await crm.ApplyAsync(crm.Event(Open, CampaignMailing, Alice, 1));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.QueryAsync("SELECT name FROM sqlite_master WHERE name IN ('ingested_file', 'response_event_ledger', 'task_custom_field') ORDER BY name"))
            .ShouldBe(["ingested_file", "response_event_ledger", "task_custom_field"]);
    }

    /// <summary>Rows of every table the writer can change: members, statuses beyond the seed, tasks, notes, events, suppression ledger, lineage, ledger, totals.</summary>
    private static Task<string> ChangedRowsAsync(ResponseCrm crm) => crm.ScalarAsync("""
        SELECT (SELECT count(*) FROM campaign_member) || '|' || (SELECT count(*) FROM campaign_member_status WHERE sort_order > 5) || '|' ||
            (SELECT count(*) FROM task) || '|' || (SELECT count(*) FROM note) || '|' || (SELECT count(*) FROM response_event_ledger) || '|' ||
            (SELECT count(*) FROM suppression_event) || '|' || (SELECT count(*) FROM change_lineage) || '|' || (SELECT count(*) FROM ingested_file) || '|' ||
            ((SELECT count(*) FROM person WHERE email_bounced_at IS NOT NULL) + (SELECT sum(number_sent + number_opened + number_clicked + number_bounced + number_unsubscribed) FROM campaign))
        """);
}
