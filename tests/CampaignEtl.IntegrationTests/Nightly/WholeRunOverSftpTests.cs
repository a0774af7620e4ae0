using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Store;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.IntegrationTests.Transfer;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Sandbox;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.IntegrationTests.Nightly;

/// <summary>
/// The whole nightly run, end to end (issue 5, point 5): the real program in its own process, the embedded sandbox
/// platform on real HTTP, the demo CRM in SQLite, and the platform's drop folder served by a real OpenSSH sshd, so the
/// response exports reach ingest over SFTP with the host key pinned. Between nights the test plays the platform:
/// it opens the sandbox's state and simulates mailings. What the CRM holds afterwards is checked against the events
/// the sandbox recorded, never against what the program says it did.
/// </summary>
public sealed class WholeRunOverSftpTests(SshdFixture sshd) : IClassFixture<SshdFixture>
{
    private const long NewsletterDe = 1001;
    private const long NewsletterEn = 1002;
    private const long ProductUpdates = 1003;

    // The demo seed's own mailings (9001, 9002: demo campaigns), whose response exports wait in the drop for night 1.
    private static readonly long[] DemoMailings = [9001, 9002];

    // Tonight's mailings, linked to campaigns of this test: one syncs members, one members and activities.
    private const long CampaignMailing = 9201;
    private const long CampaignActivityMailing = 9202;
    private const string CampaignModeId = "701000000000201";
    private const string CampaignActivityModeId = "701000000000202";
    private const string WebinarName = "E2E webinar";

    // A mailing no CRM campaign is linked to: its sends, opens and clicks are ignored, its bounces and unsubscribes still count.
    private const long UnlinkedMailing = 9300;

    private static readonly string[] Precedence = ["Clicked", "Opened", "Bounced", "Unsubscribed", "Sent"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_ResponsesOnTheSftpDrop_CrmMatchesTheSimulatedMailingsAndASecondRunIngestsNothingTwice()
    {
        sshd.SkipIfUnavailable();
        using var workspace = new TestWorkspace(contacts: 0);
        var drop = Path.Combine(workspace.Folder, "sandbox", "drop");
        var config = Support.Cli.WriteConfig(workspace.Folder, Config(drop));
        var seeded = await Support.Cli.RunAsync(workspace.Folder, "demo", "seed", "--contacts", "600", "--seed", "3", "--config", config);
        seeded.ExitCode.ShouldBe(0, seeded.ToString());
        await CreateCampaignsAsync(workspace);

        // Night 1: the lists are filled, and the demo's mailings of yesterday come back over SFTP.
        var night1 = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
        night1.ExitCode.ShouldBe(0, night1.ToString());
        night1.Stdout.ShouldContain("refill          1 succeeded");
        night1.Stdout.ShouldContain("ingest          1 succeeded");
        var demoEvents = 0;
        await using (var platform = await OpenSandboxAsync(workspace))
        {
            foreach (var mailing in DemoMailings)
            {
                demoEvents += (await platform.State.GetEventsAsync(mailing, Ct)).Count;
            }
        }

        var first = await IngestAttemptAsync(workspace, RunIdOf(night1));
        first.RowsIn.ShouldBe(demoEvents);
        first.RowsIn.ShouldBeGreaterThan(0);
        (first.RowsOut + first.RowsRejected + first.RowsExcluded).ShouldBe(first.RowsIn);

        // The platform's day: three mailings to the filled lists, their response exports written to the drop.
        var day = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime).AddDays(-3);
        var rates = new MailingSimulationRates { HardBounce = 0.04, SoftBounce = 0.04, Open = 0.5, Click = 0.4, Unsubscribe = 0.1 };
        var events = new List<SandboxResponseEvent>();
        await using (var platform = await OpenSandboxAsync(workspace))
        {
            platform.DropFolder.ShouldBe(drop);
            foreach (var (mailing, list, seed) in new[] { (CampaignMailing, NewsletterDe, 11), (CampaignActivityMailing, NewsletterEn, 12), (UnlinkedMailing, ProductUpdates, 13) })
            {
                var simulated = await platform.SimulateMailingAsync(mailing, list, seed, day, rates, Ct);
                simulated.Sends.ShouldBeGreaterThan(20, $"mailing {mailing}");
                events.AddRange(await platform.State.GetEventsAsync(mailing, Ct));
            }
        }

        // Every kind of event occurs in the linked mailings, or the checks below would prove less than they claim.
        foreach (var type in new[] { "send", "open", "click", "hardbounce", "softbounce", "unsubscribe" })
        {
            events.Count(e => e.MailingId is CampaignMailing or CampaignActivityMailing && e.EventType == type).ShouldBeGreaterThan(0, type);
        }

        // Some recipients were members of the campaign for weeks ('Sent', an old change); one member was edited in the
        // CRM after tonight's events (a weaker status, but newer: it stays).
        var editedInCrm = events.First(e => e.MailingId == CampaignMailing && e.EventType == "click").RecipientId;
        var longAgo = CrmTime.Format(new DateTimeOffset(day.AddDays(-30).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        foreach (var recipient in events.Where(e => e.MailingId == CampaignMailing).Select(e => e.RecipientId).Distinct().Where((_, i) => i % 4 == 0))
        {
            await workspace.ExecuteCrmAsync(
                "INSERT INTO campaign_member (campaign_id, person_id, status, created_at, updated_at) VALUES ($c, $p, 'Sent', $old, $old)",
                ("$c", CampaignModeId), ("$p", recipient), ("$old", longAgo));
        }

        await workspace.ExecuteCrmAsync(
            """
            INSERT INTO campaign_member (campaign_id, person_id, status, created_at, updated_at) VALUES ($c, $p, 'Bounced', $now, $now)
            ON CONFLICT (campaign_id, person_id) DO UPDATE SET status = 'Bounced', updated_at = $now
            """,
            ("$c", CampaignModeId), ("$p", editedInCrm), ("$now", CrmTime.Format(TimeProvider.System.GetUtcNow())));
        var tasksBefore = await CountAsync(workspace, "SELECT count(*) FROM task");

        // Night 2: suppress, export, refill and ingest, in that order; the response files come over SFTP.
        var night2 = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
        night2.ExitCode.ShouldBe(0, night2.ToString());
        var order = new[] { "suppress", "export", "refill", "ingest" }.Select(s => night2.Stdout.IndexOf(s.PadRight(16) + "1 succeeded", StringComparison.Ordinal)).ToList();
        order.ShouldAllBe(at => at >= 0, night2.ToString());
        order.ShouldBeInOrder(SortDirection.Ascending);

        var ingest = await IngestAttemptAsync(workspace, RunIdOf(night2));
        ingest.RowsIn.ShouldBe(events.Count);
        Details(ingest).GetValueOrDefault("files-already-ingested").ShouldBe(DemoMailings.Length);
        ingest.RowsRejected.ShouldBe(0);
        (ingest.RowsOut + ingest.RowsRejected + ingest.RowsExcluded).ShouldBe(ingest.RowsIn);
        // The unlinked mailing's sends, opens and clicks are left out by name (its bounces and unsubscribes may be too,
        // when suppress already applied them from SOAP tonight: the suppression ledger is shared).
        Details(ingest).GetValueOrDefault("ignored:mailing-not-linked").ShouldBe(events.Count(e => e.MailingId == UnlinkedMailing && e.EventType is "send" or "open" or "click"));

        // The files crossed the SFTP server whole: each archived copy has the bytes the sandbox wrote.
        var dropped = Directory.GetFiles(drop, "responses_*.csv").Select(Sha256).Order().ToList();
        dropped.Count.ShouldBe(5);
        workspace.ArchivedFiles("responses_*.csv").Select(Sha256).Order().ShouldBe(dropped);

        // Member statuses: per recipient, the strongest label of its events; the member edited after the events keeps its status.
        foreach (var (mailing, campaign) in new[] { (CampaignMailing, CampaignModeId), (CampaignActivityMailing, CampaignActivityModeId) })
        {
            var members = await MemberStatusesAsync(workspace, campaign);
            foreach (var recipient in events.Where(e => e.MailingId == mailing).GroupBy(e => e.RecipientId))
            {
                var expected = recipient.Key == editedInCrm ? "Bounced" : recipient.Select(e => Label(e.EventType)).MinBy(l => Array.IndexOf(Precedence, l))!;
                members.GetValueOrDefault(recipient.Key).ShouldBe(expected, $"campaign {campaign}, recipient {recipient.Key}");
            }
        }

        // The webinar had no members before: every one of them came from its mailing.
        (await MemberStatusesAsync(workspace, CampaignActivityModeId)).Count.ShouldBe(events.Where(e => e.MailingId == CampaignActivityMailing).Select(e => e.RecipientId).Distinct().Count());

        // Campaign totals are the platform's numbers for each mailing: every event per type (bounced = soft + hard), in
        // every mode, whatever the event did to the member.
        foreach (var (campaign, expected) in new[]
        {
            (CampaignModeId, ExpectedTotals(events.Where(e => e.MailingId == CampaignMailing))),
            (CampaignActivityModeId, ExpectedTotals(events.Where(e => e.MailingId == CampaignActivityMailing))),
        })
        {
            // Compared as text so a failure shows both rows of figures.
            string.Join(", ", await TotalsAsync(workspace, campaign)).ShouldBe(string.Join(", ", expected), $"campaign {campaign}: sent, opened, clicked, bounced, unsubscribed; ingest: {ingest.CountsJson}");
        }

        // Activities: one task per event of the webinar's mailing, on the person, with the campaign (none on a lead).
        var tasks = await TasksAsync(workspace);
        var expectedTasks = events.Where(e => e.MailingId == CampaignActivityMailing)
            .GroupBy(e => (e.RecipientId, Subject: $"{Label(e.EventType)} email campaign: {WebinarName}"))
            .ToDictionary(g => g.Key, g => g.Count());
        tasks.Count.ShouldBe(expectedTasks.Count);
        foreach (var (key, count) in expectedTasks)
        {
            tasks.GetValueOrDefault(key).ShouldBe(count, $"{key.RecipientId}: {key.Subject}");
        }

        (await CountAsync(workspace, "SELECT count(*) FROM task")).ShouldBe(tasksBefore + events.Count(e => e.MailingId == CampaignActivityMailing));
        (await CountAsync(workspace, "SELECT count(*) FROM task t JOIN person p ON p.id = t.who_id WHERE t.subject LIKE '% email campaign: E2E webinar' AND t.what_id IS NOT (CASE p.entity_type WHEN 'lead' THEN NULL ELSE $c END)", ("$c", CampaignActivityModeId)))
            .ShouldBe(0);
        var clickUrls = events.Where(e => e.MailingId == CampaignActivityMailing && e.EventType == "click").Select(e => e.LinkUrl!).Order().ToList();
        (await TextsAsync(workspace, "SELECT description FROM task WHERE subject = 'Clicked email campaign: E2E webinar' ORDER BY description")).ShouldBe(clickUrls);

        // Bounces and unsubscribes of every mailing, linked or not, reached the people.
        foreach (var hard in events.Where(e => e.EventType == "hardbounce").Select(e => e.RecipientId).Distinct())
        {
            (await CountAsync(workspace, "SELECT count(*) FROM person WHERE id = $id AND email_bounced_at IS NOT NULL", ("$id", hard))).ShouldBe(1, $"hard bounce of {hard}");
        }

        foreach (var soft in events.Where(e => e.EventType == "softbounce").Select(e => e.RecipientId).Distinct())
        {
            (await CountAsync(workspace, "SELECT count(*) FROM person WHERE id = $id AND soft_bounce_count >= 1", ("$id", soft))).ShouldBe(1, $"soft bounce of {soft}");
        }

        // The sandbox, like the platform by default, stores a mailing's unsubscribe client-wide: suppress (over SOAP) or
        // ingest (from the file), whichever comes first, opts the person out of all email.
        foreach (var unsubscribe in events.Where(e => e.EventType == "unsubscribe"))
        {
            (await CountAsync(workspace, "SELECT count(*) FROM person WHERE id = $id AND has_opted_out_of_email = 1", ("$id", unsubscribe.RecipientId)))
                .ShouldBe(1, $"unsubscribe of {unsubscribe.RecipientId} from list {unsubscribe.ListId}");
        }

        // And tonight's refill, after tonight's suppress, already left them out of the lists.
        await using (var platform = await OpenSandboxAsync(workspace))
        {
            foreach (var list in new[] { NewsletterDe, NewsletterEn, ProductUpdates })
            {
                var members = (await platform.State.GetListMembersAsync(list, Ct)).Select(m => m.RecipientId).ToHashSet(StringComparer.Ordinal);
                members.ShouldNotBeEmpty();
                events.Where(e => e.ListId == list && e.EventType is "unsubscribe" or "hardbounce").Select(e => e.RecipientId).Where(members.Contains).ShouldBeEmpty($"list {list}");
            }
        }

        // Night 3: the same files are still on the drop (nothing is moved by default), and nothing is ingested twice.
        var membersBefore = await MembersSnapshotAsync(workspace);
        var totalsBefore = string.Join(" | ", string.Join(", ", await TotalsAsync(workspace, CampaignModeId)), string.Join(", ", await TotalsAsync(workspace, CampaignActivityModeId)));
        var tasksAfterNight2 = await CountAsync(workspace, "SELECT count(*) FROM task");
        var night3 = await Support.Cli.RunAsync(workspace.Folder, "run", "--config", config);
        night3.ExitCode.ShouldBe(0, night3.ToString());
        night3.Stdout.ShouldContain("ingest          1 succeeded");
        var again = await IngestAttemptAsync(workspace, RunIdOf(night3));
        again.RowsIn.ShouldBe(0);
        Details(again).GetValueOrDefault("files-already-ingested").ShouldBe(5);
        (await MembersSnapshotAsync(workspace)).ShouldBe(membersBefore);
        string.Join(" | ", string.Join(", ", await TotalsAsync(workspace, CampaignModeId)), string.Join(", ", await TotalsAsync(workspace, CampaignActivityModeId))).ShouldBe(totalsBefore);
        (await CountAsync(workspace, "SELECT count(*) FROM task")).ShouldBe(tasksAfterNight2);
        Directory.GetFiles(drop, "responses_*.csv").Length.ShouldBe(5);
    }

    /// <summary>Tonight's two linked campaigns, with the default member statuses; no members yet.</summary>
    private static Task CreateCampaignsAsync(TestWorkspace workspace) => workspace.ExecuteCrmAsync(
        """
        INSERT INTO campaign (id, name, type, status, platform_mailing_id, sync_mode, created_at, updated_at) VALUES
          ('701000000000201', 'E2E newsletter', 'Email', 'In Progress', 9201, 'campaign', $now, $now),
          ('701000000000202', 'E2E webinar', 'Email', 'In Progress', 9202, 'campaign+activity', $now, $now);
        INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order)
          SELECT c.id, s.label, s.responded, s.is_default, s.sort_order FROM campaign c,
            (SELECT 'Sent' AS label, 0 AS responded, 1 AS is_default, 1 AS sort_order
             UNION ALL SELECT 'Opened', 1, 0, 2 UNION ALL SELECT 'Clicked', 1, 0, 3
             UNION ALL SELECT 'Bounced', 0, 0, 4 UNION ALL SELECT 'Unsubscribed', 0, 0, 5) s
          WHERE c.id IN ('701000000000201', '701000000000202');
        """,
        ("$now", CrmTime.Format(TimeProvider.System.GetUtcNow())));

    private string Config(string drop) => JsonSerializer.Serialize(new
    {
        Data = new { Folder = "%DATA%" },
        Platform = new { Retry = new { Attempts = 4, BaseDelay = "00:00:00.010" } },
        Transfer = new
        {
            Protocol = "Sftp",
            Host = "127.0.0.1",
            sshd.Port,
            User = Environment.UserName,
            PrivateKeyPath = sshd.UserKeyPath,
            sshd.HostKeyFingerprint,
            RemoteFolder = drop.Replace('\\', '/'),
            Timeout = "00:00:15",
            Retry = new { Attempts = 3, BaseDelay = "00:00:00.100" },
        },
    });

    private static string Label(string eventType) => eventType switch
    {
        "send" => "Sent",
        "open" => "Opened",
        "click" => "Clicked",
        "softbounce" or "hardbounce" => "Bounced",
        "unsubscribe" => "Unsubscribed",
        _ => throw new ArgumentOutOfRangeException(nameof(eventType), eventType, "not an event of a response export"),
    };

    private static long[] ExpectedTotals(IEnumerable<SandboxResponseEvent> events)
    {
        var all = events.ToList();
        return
        [
            all.Count(e => e.EventType == "send"),
            all.Count(e => e.EventType == "open"),
            all.Count(e => e.EventType == "click"),
            all.Count(e => e.EventType is "softbounce" or "hardbounce"),
            all.Count(e => e.EventType == "unsubscribe"),
        ];
    }

    private static Task<SandboxPlatform> OpenSandboxAsync(TestWorkspace workspace) =>
        SandboxPlatform.StartAsync(
            new SandboxOptions
            {
                DatabasePath = Path.Combine(workspace.Folder, "sandbox", "sandbox.db"),
                DropFolder = Path.Combine(workspace.Folder, "sandbox", "drop"),
            },
            TimeProvider.System,
            null,
            Ct);

    private static async Task<AttemptRecord> IngestAttemptAsync(TestWorkspace workspace, string runId)
    {
        var journal = await RunJournal.OpenAsync(workspace.Data.JournalPath, Ct);
        return (await journal.ListAttemptsAsync(runId, Ct)).Single(a => a.Stage == StageName.Ingest);
    }

    private static Dictionary<string, long> Details(AttemptRecord attempt) =>
        JsonSerializer.Deserialize<Dictionary<string, long>>(attempt.CountsJson ?? "{}") ?? [];

    private static string RunIdOf(Support.Cli.Result result) =>
        result.Stdout.Split('\n').First(l => l.StartsWith("Run ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static async Task<SqliteConnection> OpenCrmAsync(TestWorkspace workspace)
    {
        var connection = new SqliteConnection($"Data Source={workspace.Data.CrmDatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task<long> CountAsync(TestWorkspace workspace, string sql, params (string Name, object Value)[] parameters)
    {
        await using var crm = await OpenCrmAsync(workspace);
        await using var command = crm.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), CultureInfo.InvariantCulture);
    }

    private static async Task<List<string>> TextsAsync(TestWorkspace workspace, string sql)
    {
        await using var crm = await OpenCrmAsync(workspace);
        await using var command = crm.CreateCommand();
        command.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(reader.IsDBNull(0) ? string.Empty : reader.GetString(0));
        }

        return rows;
    }

    private static async Task<Dictionary<string, string>> MemberStatusesAsync(TestWorkspace workspace, string campaignId)
    {
        await using var crm = await OpenCrmAsync(workspace);
        await using var command = crm.CreateCommand();
        command.CommandText = "SELECT person_id, status FROM campaign_member WHERE campaign_id = $c";
        command.Parameters.AddWithValue("$c", campaignId);
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            members[reader.GetString(0)] = reader.GetString(1);
        }

        return members;
    }

    private static async Task<List<string>> MembersSnapshotAsync(TestWorkspace workspace) =>
        await TextsAsync(workspace, "SELECT campaign_id || ' ' || person_id || ' ' || status || ' ' || updated_at FROM campaign_member ORDER BY campaign_id, person_id");

    private static async Task<long[]> TotalsAsync(TestWorkspace workspace, string campaignId)
    {
        await using var crm = await OpenCrmAsync(workspace);
        await using var command = crm.CreateCommand();
        command.CommandText = "SELECT number_sent, number_opened, number_clicked, number_bounced, number_unsubscribed FROM campaign WHERE id = $c";
        command.Parameters.AddWithValue("$c", campaignId);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        (await reader.ReadAsync(Ct)).ShouldBeTrue(campaignId);
        return [reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)];
    }

    /// <summary>The activities ingest created for the E2E webinar, counted per person and subject.</summary>
    private static async Task<Dictionary<(string RecipientId, string Subject), int>> TasksAsync(TestWorkspace workspace)
    {
        await using var crm = await OpenCrmAsync(workspace);
        await using var command = crm.CreateCommand();
        command.CommandText = "SELECT who_id, subject, count(*) FROM task WHERE external_key IS NOT NULL AND subject LIKE '% email campaign: E2E webinar' GROUP BY who_id, subject";
        var tasks = new Dictionary<(string, string), int>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            tasks[(reader.GetString(0), reader.GetString(1))] = reader.GetInt32(2);
        }

        return tasks;
    }
}
