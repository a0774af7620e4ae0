using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CampaignEtl.Crm.Responses;
using static CampaignEtl.Crm.Responses.ResponseEventType;
using static CampaignEtl.IntegrationTests.Responses.ResponseCrm;

namespace CampaignEtl.IntegrationTests.Responses;

/// <summary>
/// A CRM written by an earlier build (the event ledger keyed by hash alone, the updated_at ingest wrote in a table of its
/// own), and batches whose ledger rows or members are too many to read as one range.
/// </summary>
public sealed class ResponseWriterUpgradeTests
{
    [Fact]
    public async Task ApplyBatch_EventInTheLedgerOfAnEarlierBuild_IgnoredAsAlreadyApplied()
    {
        using var crm = await CreateAsync();
        var open = crm.Event(Open, CampaignMailing, Alice, 1);
        // The earlier ledger: the first 16 bytes of the SHA-256 of the event's identity, and the file by number.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"open|{CampaignMailing}|{Alice}||{open.Event.OccurredAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}|"))[..16]);
        await crm.Workspace.ExecuteCrmAsync($"""
            CREATE TABLE response_event (event_key BLOB PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES response_file (id), line INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO response_file (id, archive_file, run_id) VALUES (7, '{OtherFile}', 'run-0');
            INSERT INTO response_event (event_key, file_id, line) VALUES (x'{key}', 7, 12);
            """);

        var (results, _) = await crm.ApplyAsync(open, crm.Event(Send, CampaignMailing, Alice, 0));

        results[0].ShouldBe(ResponseResult.Ignore("already-applied", $"{OtherFile} line 12"));
        results[1].ShouldBe(ResponseResult.Applied);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Sent");
        (await crm.ScalarAsync($"SELECT number_opened || '|' || number_sent FROM campaign WHERE id = '{CampaignMode}'")).ShouldBe("0|1");
    }

    [Fact]
    public async Task Open_CrmWithTheSyncTableOfAnEarlierBuild_MovedIntoTheMemberAndCrmEditsStillKept()
    {
        using var crm = await CreateAsync();
        await crm.ApplyAsync(crm.Event(Send, CampaignMailing, Alice, 0), crm.Event(Send, CampaignMailing, Bob, 0));
        // As an earlier build left it: no column, the value in campaign_member_sync; then a CRM user changes Bob.
        await crm.Workspace.ExecuteCrmAsync("""
            CREATE TABLE campaign_member_sync (member_id INTEGER PRIMARY KEY REFERENCES campaign_member (id), status_updated_at TEXT NOT NULL);
            INSERT INTO campaign_member_sync SELECT id, ingest_updated_at FROM campaign_member;
            ALTER TABLE campaign_member DROP COLUMN ingest_updated_at;
            UPDATE campaign_member SET status = 'Sent', updated_at = '2026-11-30T09:00:00.000Z' WHERE person_id = '003000000000002';
            """);

        // Both opens are older than Bob's edit; Alice's member was last written by ingest, so hers still upgrades.
        var (results, _) = await crm.ApplyAsync(crm.Event(Open, CampaignMailing, Alice, 30), crm.Event(Open, CampaignMailing, Bob, 30));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Opened");
        (await crm.MemberStatusAsync(CampaignMode, Bob)).ShouldBe("Sent");
        (await crm.QueryAsync("SELECT name FROM sqlite_master WHERE name = 'campaign_member_sync'")).ShouldBeEmpty();
        (await crm.ScalarAsync($"SELECT ingest_updated_at FROM campaign_member WHERE person_id = '{Alice}'")).ShouldBe("2026-11-23T20:30:00.000Z");
    }

    [Fact]
    public async Task ApplyBatch_RangeHoldingManyOtherRows_SameOutcomesAsSingleLookups()
    {
        using var crm = await CreateAsync();
        // 300 people between Alice and Bob's ids' neighbours, each with a member and a ledger row: a batch naming only the
        // first and the last of them spans all 300, more than a range read takes for two events.
        const int people = 300;
        await crm.Workspace.ExecuteCrmAsync($"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {people})
            INSERT INTO person (id, entity_type, last_name, email, created_at, updated_at)
            SELECT '003100' || printf('%09d', i), 'contact', 'P' || i, 'p' || i || '@example.com', '2026-11-01T08:00:00.000Z', '2026-11-01T08:00:00.000Z' FROM n;
            """);
        var sends = Enumerable.Range(1, people).Select(i => crm.Event(Send, CampaignMailing, Person(i), 0)).ToArray();
        await crm.ApplyAsync(sends);

        var (results, changes) = await crm.ApplyAsync(
            sends[0] with { File = OtherFile, Line = 1 },
            crm.Event(Open, CampaignMailing, Person(1), 5, file: OtherFile),
            crm.Event(Click, CampaignMailing, Person(people), 6, "https://example.com/a", file: OtherFile),
            sends[^1] with { File = OtherFile, Line = 4 });

        results[0].ShouldBe(ResponseResult.Ignore("already-applied", $"{ArchivedFile} line {sends[0].Line}"));
        results[1].ShouldBe(ResponseResult.Applied);
        results[2].ShouldBe(ResponseResult.Applied);
        results[3].ShouldBe(ResponseResult.Ignore("already-applied", $"{ArchivedFile} line {sends[^1].Line}"));
        changes["member-status-upgraded"].ShouldBe(2);
        changes.ShouldNotContainKey("member-created");
        (await crm.MemberStatusAsync(CampaignMode, Person(1))).ShouldBe("Opened");
        (await crm.MemberStatusAsync(CampaignMode, Person(people))).ShouldBe("Clicked");
        (await crm.ScalarAsync($"SELECT count(*) FROM campaign_member WHERE campaign_id = '{CampaignMode}'")).ShouldBe(people.ToString(CultureInfo.InvariantCulture));

        static string Person(int i) => "003100" + i.ToString("D9", CultureInfo.InvariantCulture);
    }
}
