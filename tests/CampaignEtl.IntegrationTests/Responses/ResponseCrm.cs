using CampaignEtl.Crm.Responses;
using CampaignEtl.IntegrationTests.Support;

namespace CampaignEtl.IntegrationTests.Responses;

/// <summary>
/// A small real SQLite CRM for the response writer: a few contacts and leads (one converted, two sharing an
/// address), one campaign per sync mode with the default status picklist, and helpers to write events and batches.
/// </summary>
internal sealed class ResponseCrm : IDisposable
{
    public const string Alice = "003000000000001";
    public const string Bob = "003000000000002";
    public const string SharedOne = "003000000000003";
    public const string SharedTwo = "003000000000004";
    public const string Lena = "00Q000000000001";
    public const string ConvertedLead = "00Q000000000002";
    public const string CampaignMode = "701000000000001";
    public const string ActivityMode = "701000000000002";
    public const string CampaignAndActivityMode = "701000000000003";
    public const string NotesMode = "701000000000004";
    public const string CampaignOnlyMode = "701000000000005";
    public const long CampaignMailing = 9001;
    public const long ActivityMailing = 9002;
    public const long CampaignAndActivityMailing = 9003;
    public const long NotesMailing = 9004;
    public const long CampaignOnlyMailing = 9005;
    public const long UnlinkedMailing = 9999;
    public const long NewsletterList = 1001;
    public const long NewsletterOptIn = 501;
    public const string ArchivedFile = "2026/11/24/run-1/ingest/responses_20261124.csv";
    public const string OtherFile = "2026/11/25/run-2/ingest/responses_20261125.csv";

    public static readonly DateTimeOffset Evening = new(2026, 11, 23, 20, 0, 0, TimeSpan.Zero);

    private long _line = 1;

    private ResponseCrm()
    {
        Workspace = new TestWorkspace(contacts: 0);
    }

    public TestWorkspace Workspace { get; }

    public ResponseSettings Settings { get; set; } = DefaultSettings();

    public static async Task<ResponseCrm> CreateAsync()
    {
        var crm = new ResponseCrm();
        await using (var connection = await crm.Workspace.Crm.CreateAsync(CancellationToken.None))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = SeedSql();
            await command.ExecuteNonQueryAsync();
        }

        return crm;
    }

    public static ResponseSettings DefaultSettings() => new(
        "run-1",
        new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero),
        new Dictionary<ResponseEventType, string>
        {
            [ResponseEventType.Send] = "Sent",
            [ResponseEventType.Open] = "Opened",
            [ResponseEventType.Click] = "Clicked",
            [ResponseEventType.SoftBounce] = "Bounced",
            [ResponseEventType.HardBounce] = "Bounced",
            [ResponseEventType.Unsubscribe] = "Unsubscribed",
        },
        ["Clicked", "Opened", "Bounced", "Unsubscribed", "Sent"],
        CreateMissingStatuses: false,
        ListBasedUnsubscribes: true,
        new Dictionary<long, long> { [NewsletterList] = NewsletterOptIn },
        SoftBounceThreshold: 2,
        ActivityStatusField: null,
        ClickedUrlField: null);

    /// <summary>An event of <paramref name="type"/> <paramref name="minutes"/> after 20:00 UTC, at the next line of <see cref="ArchivedFile"/>.</summary>
    public LocatedResponse Event(
        ResponseEventType type, long mailing, string recipient, int minutes, string url = "", string email = "", long? listId = null, string file = ArchivedFile) =>
        new(new ResponseEvent(type, Evening.AddMinutes(minutes), mailing, recipient, email, listId, url, string.Empty), file, _line++);

    public static IngestProgress Progress(long lastLine, bool complete = false, string name = "responses_20261124.csv", string sha = "aa11") =>
        new(name, sha, ArchivedFile, lastLine, complete);

    public Task<ResponseWriter> OpenAsync() => ResponseWriter.OpenAsync(Workspace.Crm, Settings, CancellationToken.None);

    /// <summary>Opens a writer, applies one batch (committed) and returns the results with the writer's changes.</summary>
    public async Task<(IReadOnlyList<ResponseResult> Results, SortedDictionary<string, long> Changes)> ApplyAsync(
        params LocatedResponse[] batch)
    {
        await using var writer = await OpenAsync();
        var results = await writer.ApplyBatchAsync(batch, Progress(batch.Length == 0 ? 0 : batch[^1].Line), commit: true, CancellationToken.None);
        return (results, writer.Changes);
    }

    public Task<List<string>> QueryAsync(string sql) => Workspace.QueryCrmAsync(sql);

    public async Task<string> ScalarAsync(string sql) => (await Workspace.QueryCrmAsync(sql)).ShouldHaveSingleItem();

    public Task<string> MemberStatusAsync(string campaign, string person) =>
        ScalarAsync($"SELECT ifnull((SELECT status FROM campaign_member WHERE campaign_id = '{campaign}' AND person_id = '{person}'), '<none>')");

    public void Dispose() => Workspace.Dispose();

    private static string SeedSql()
    {
        const string at = "2026-11-01T08:00:00.000Z";
        var sql = new System.Text.StringBuilder($"""
            INSERT INTO account (id, name, created_at) VALUES ('001000000000001', 'Muster GmbH', '{at}');
            INSERT INTO opt_in (id, name, kind) VALUES ({NewsletterOptIn}, 'newsletter-de', 'double');
            INSERT INTO person (id, entity_type, account_id, first_name, last_name, email, created_at, updated_at) VALUES
                ('{Alice}', 'contact', '001000000000001', 'Alice', 'Muster', 'alice@example.com', '{at}', '{at}'),
                ('{Bob}', 'contact', '001000000000001', 'Bob', 'Muster', 'Bob@Example.com', '{at}', '{at}'),
                ('{SharedOne}', 'contact', '001000000000001', 'Sam', 'One', 'shared@example.com', '{at}', '{at}'),
                ('{SharedTwo}', 'contact', '001000000000001', 'Sam', 'Two', 'shared@example.com', '{at}', '{at}');
            INSERT INTO person (id, entity_type, company, first_name, last_name, email, created_at, updated_at) VALUES
                ('{Lena}', 'lead', 'Lead AG', 'Lena', 'Lead', 'lena@example.com', '{at}', '{at}');
            INSERT INTO person (id, entity_type, company, last_name, email, is_converted, converted_contact_id, converted_at, created_at, updated_at) VALUES
                ('{ConvertedLead}', 'lead', 'Muster GmbH', 'Muster', 'old-alice@example.com', 1, '{Alice}', '{at}', '{at}', '{at}');
            INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by) VALUES
                ('{Alice}', {NewsletterOptIn}, 'granted', '{at}', 'web-form'), ('{Bob}', {NewsletterOptIn}, 'granted', '{at}', 'web-form');

            """);
        foreach (var (id, mailing, mode, name) in new[]
        {
            (CampaignMode, CampaignMailing, "campaign", "Autumn newsletter 2026"),
            (ActivityMode, ActivityMailing, "activity", "Winter offers"),
            (CampaignAndActivityMode, CampaignAndActivityMailing, "campaign+activity", "Product update"),
            (NotesMode, NotesMailing, "notes", "Private banking letter"),
            (CampaignOnlyMode, CampaignOnlyMailing, "campaign-only", "Event invitation"),
        })
        {
            sql.Append($"""
                INSERT INTO campaign (id, name, type, status, platform_mailing_id, sync_mode, created_at, updated_at)
                    VALUES ('{id}', '{name}', 'Email', 'In Progress', {mailing}, '{mode}', '{at}', '{at}');
                INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order) VALUES
                    ('{id}', 'Sent', 0, 1, 1), ('{id}', 'Opened', 1, 0, 2), ('{id}', 'Clicked', 1, 0, 3), ('{id}', 'Bounced', 0, 0, 4), ('{id}', 'Unsubscribed', 0, 0, 5);

                """);
        }

        return sql.ToString();
    }
}
