using System.Globalization;
using System.Text;
using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Demo;

/// <summary>
/// (Re)creates a demo CRM with realistic, deterministic data: contacts, leads (some converted),
/// accounts, three opt-ins, marketing lists, saved filters, campaigns with member statuses, and the
/// awkward cases a real CRM has: bounced and opted-out people, revoked consents, non-ASCII names,
/// invalid emails, missing emails, duplicate emails across records and blocklisted addresses.
/// </summary>
public sealed class DemoCrmSeeder(TimeProvider timeProvider)
{
    public const long OptInNewsletterDe = 501;
    public const long OptInNewsletterEn = 502;
    public const long OptInProductUpdates = 503;
    public const string ListNewsletterDe = "Newsletter DE";
    public const string ListNewsletterEn = "Newsletter EN";
    public const string ListTradeFair = "Trade fair 2026 visitors";
    public const string FilterCustomersDach = "Customers in DACH";
    public const string FilterLeadsUk = "Leads in UK and Ireland";
    public const string BlockedDomain = "blocked.example";

    public async Task<DemoSeedSummary> SeedAsync(CrmDatabase database, int contacts, int seed, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contacts, 1);
        var now = timeProvider.GetUtcNow();
        var stamp = CrmTime.Format(now);
        var random = new Random(seed);
        await using var connection = await database.CreateAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        await ExecAsync(connection, $"""
            INSERT INTO opt_in (id, name, kind, description) VALUES
              ({OptInNewsletterDe}, 'Newsletter DE', 'double', 'German newsletter, double opt-in'),
              ({OptInNewsletterEn}, 'Newsletter EN', 'double', 'English newsletter, double opt-in'),
              ({OptInProductUpdates}, 'Product updates', 'single', 'Product and release news');
            INSERT INTO marketing_list (id, name, description) VALUES
              (1, '{ListNewsletterDe}', 'German-speaking newsletter audience'),
              (2, '{ListNewsletterEn}', 'English-speaking newsletter audience'),
              (3, '{ListTradeFair}', 'Visitors of our booth');
            INSERT INTO saved_filter (id, name, entity_types, description) VALUES
              (1, '{FilterCustomersDach}', 'contact', 'Contacts in Germany, Austria and Switzerland'),
              (2, '{FilterLeadsUk}', 'lead', 'Leads in the UK and Ireland');
            INSERT INTO saved_filter_condition (filter_id, position, field, operator, value) VALUES
              (1, 0, 'country', 'in', 'DE|AT|CH'),
              (1, 1, 'account_id', 'is_not_null', NULL),
              (2, 0, 'country', 'in', 'GB|IE');
            INSERT INTO blocklist_entry (pattern, reason, added_at, source) VALUES
              ('*@{BlockedDomain}', 'Domain blocked on the platform', '{stamp}', 'demo');
            """, transaction, cancellationToken);

        var accountCount = Math.Max(1, contacts / 10);
        await using (var account = Prepare(connection, transaction,
            "INSERT INTO account (id, name, industry, country, created_at) VALUES ($id, $name, $industry, $country, $at)",
            "$id", "$name", "$industry", "$country", "$at"))
        {
            for (var i = 1; i <= accountCount; i++)
            {
                var place = DemoNames.Places[random.Next(DemoNames.Places.Length)];
                await RunAsync(account, cancellationToken, AccountId(i),
                    DemoNames.Companies[random.Next(DemoNames.Companies.Length)] + (i > DemoNames.Companies.Length ? " " + i.ToString(CultureInfo.InvariantCulture) : ""),
                    i % 3 == 0 ? "Retail" : "Manufacturing", place.Country, stamp);
            }
        }

        var leads = Math.Max(1, contacts / 4);
        var counts = new Counts();
        await using (var person = Prepare(connection, transaction, """
            INSERT INTO person (id, entity_type, account_id, company, salutation, first_name, last_name, email, title, city,
                                country, language, has_opted_out_of_email, opted_out_at, email_bounced_at, email_bounced_reason,
                                soft_bounce_count, is_converted, converted_contact_id, converted_at, created_at, updated_at)
            VALUES ($id, $type, $account, $company, $salutation, $first, $last, $email, $title, $city,
                    $country, $language, $optedOut, $optedOutAt, $bouncedAt, $bouncedReason,
                    $soft, $converted, $convertedContact, $convertedAt, $at, $at)
            """, "$id", "$type", "$account", "$company", "$salutation", "$first", "$last", "$email", "$title", "$city",
            "$country", "$language", "$optedOut", "$optedOutAt", "$bouncedAt", "$bouncedReason", "$soft", "$converted",
            "$convertedContact", "$convertedAt", "$at"))
        await using (var consent = Prepare(connection, transaction,
            "INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by) VALUES ($p, $o, $s, $at, $by)",
            "$p", "$o", "$s", "$at", "$by"))
        await using (var member = Prepare(connection, transaction,
            "INSERT INTO marketing_list_member (list_id, person_id, added_at) VALUES ($l, $p, $at)", "$l", "$p", "$at"))
        {
            var recentEmails = new string?[64];
            for (var n = 1; n <= contacts + leads; n++)
            {
                var isLead = n > contacts;
                var number = isLead ? n - contacts : n;
                var id = isLead ? LeadId(number) : ContactId(number);
                var place = DemoNames.Places[random.Next(DemoNames.Places.Length)];
                var first = DemoNames.FirstNames[random.Next(DemoNames.FirstNames.Length)];
                var last = DemoNames.LastNames[random.Next(DemoNames.LastNames.Length)];
                var email = MakeEmail(random, first, last, n, recentEmails, counts);
                recentEmails[n % recentEmails.Length] = email;
                var roll = random.Next(1000);
                var bounced = roll < 30;
                var optedOut = roll is >= 30 and < 70;
                counts.Bounced += bounced ? 1 : 0;
                counts.OptedOut += optedOut ? 1 : 0;
                var converted = isLead && random.Next(5) == 0;
                counts.Converted += converted ? 1 : 0;
                await RunAsync(person, cancellationToken,
                    id, isLead ? "lead" : "contact",
                    isLead ? null : AccountId(1 + random.Next(accountCount)),
                    isLead ? DemoNames.Companies[random.Next(DemoNames.Companies.Length)] : null,
                    random.Next(2) == 0 ? "Ms" : "Mr", first, last, email,
                    DemoNames.Titles[random.Next(DemoNames.Titles.Length)], place.City, place.Country, place.Language,
                    optedOut ? 1 : 0, optedOut ? stamp : null,
                    bounced ? stamp : null, bounced ? "550 5.1.1 mailbox unavailable" : null,
                    bounced ? 0 : random.Next(3) == 0 ? 1 : 0,
                    converted ? 1 : 0, converted ? ContactId(1 + random.Next(contacts)) : null, converted ? stamp : null,
                    stamp);

                var newsletter = place.Language == "de" ? OptInNewsletterDe : OptInNewsletterEn;
                var consentRoll = random.Next(10);
                if (consentRoll < 8)
                {
                    await RunAsync(consent, cancellationToken, id, newsletter, consentRoll < 7 ? "granted" : "revoked", stamp, "web-form");
                    counts.Consents++;
                }

                if (random.Next(100) < 40)
                {
                    await RunAsync(consent, cancellationToken, id, OptInProductUpdates, random.Next(8) == 0 ? "revoked" : "granted", stamp, "import");
                    counts.Consents++;
                }

                if (place.Language == "de" || random.Next(50) == 0)
                {
                    await RunAsync(member, cancellationToken, 1, id, stamp);
                    counts.Members++;
                }

                if (place.Language != "de")
                {
                    await RunAsync(member, cancellationToken, 2, id, stamp);
                    counts.Members++;
                }

                if (random.Next(20) == 0)
                {
                    await RunAsync(member, cancellationToken, 3, id, stamp);
                    counts.Members++;
                }
            }
        }

        await SeedCampaignsAsync(connection, transaction, contacts, stamp, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await ExecAsync(connection, "ANALYZE;", null, cancellationToken);
        return new DemoSeedSummary(accountCount, contacts, leads, counts.Converted, counts.Consents, counts.Members,
            counts.Bounced, counts.OptedOut, counts.Invalid, counts.Duplicates, 3);
    }

    internal static string ContactId(int number) => "003" + number.ToString("D12", CultureInfo.InvariantCulture);

    internal static string LeadId(int number) => "00Q" + number.ToString("D12", CultureInfo.InvariantCulture);

    private static string AccountId(int number) => "001" + number.ToString("D12", CultureInfo.InvariantCulture);

    private static string? MakeEmail(Random random, string first, string last, int n, string?[] recent, Counts counts)
    {
        var roll = random.Next(1000);
        if (roll < 5)
        {
            counts.Invalid++;
            return null;
        }

        if (roll < 15)
        {
            counts.Invalid++;
            return DemoNames.InvalidEmails[random.Next(DemoNames.InvalidEmails.Length)];
        }

        if (roll < 35 && recent[random.Next(recent.Length)] is { } earlier)
        {
            counts.Duplicates++;
            // The same person entered twice, once as a lead: the address differs only in case.
            return random.Next(2) == 0 ? earlier : earlier.ToUpperInvariant();
        }

        var domain = roll < 45 ? BlockedDomain : DemoNames.Domains[random.Next(DemoNames.Domains.Length)];
        return string.Create(CultureInfo.InvariantCulture, $"{Fold(first)}.{Fold(last)}{n}@{domain}");
    }

    /// <summary>An ASCII local part from a name: mail systems still reject most non-ASCII local parts.</summary>
    private static string Fold(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var ch in name.ToLowerInvariant())
        {
            builder.Append(ch switch
            {
                'ä' => "ae", 'ö' => "oe", 'ü' => "ue", 'ß' => "ss", 'ø' => "o", 'å' => "a", 'ł' => "l",
                'ś' or 'š' => "s", 'č' or 'ć' => "c", 'é' or 'è' or 'ê' or 'ë' or 'ě' => "e", 'á' or 'à' => "a",
                'í' or 'ı' or 'i' => "i", 'ó' => "o", 'ú' => "u", 'ñ' => "n", 'ğ' => "g", 'ş' => "s", 'ř' => "r", 'ý' => "y",
                '\'' or ' ' => "",
                _ => ch.ToString(),
            });
        }

        return builder.ToString();
    }

    private static async Task SeedCampaignsAsync(
        SqliteConnection connection, SqliteTransaction transaction, int contacts, string stamp, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = CrmTime.FormatDate(DateOnly.FromDateTime(now.UtcDateTime));
        // The email campaigns started a week ago: their members were added then, before the mailings the
        // demo platform simulates for yesterday, so ingest upgrades their statuses (a member changed after
        // an event keeps its status).
        var weekAgo = CrmTime.FormatDate(DateOnly.FromDateTime(now.UtcDateTime).AddDays(-7));
        var added = CrmTime.Format(now.AddDays(-7));
        await ExecAsync(connection, $"""
            INSERT INTO campaign (id, name, type, status, start_date, platform_mailing_id, sync_mode, created_at, updated_at) VALUES
              ('701000000000001', 'Autumn newsletter 2026', 'Email', 'In Progress', '{weekAgo}', 9001, 'campaign', '{stamp}', '{stamp}'),
              ('701000000000002', 'Webinar invitation: Q4 product tour', 'Email', 'In Progress', '{weekAgo}', 9002, 'campaign+activity', '{stamp}', '{stamp}'),
              ('701000000000003', 'Trade fair follow-up', 'Event', 'Planned', NULL, NULL, 'campaign', '{stamp}', '{stamp}');
            INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order)
              SELECT c.id, s.label, s.responded, s.is_default, s.sort_order FROM campaign c,
                (SELECT 'Sent' AS label, 0 AS responded, 1 AS is_default, 1 AS sort_order
                 UNION ALL SELECT 'Opened', 1, 0, 2 UNION ALL SELECT 'Clicked', 1, 0, 3
                 UNION ALL SELECT 'Bounced', 0, 0, 4 UNION ALL SELECT 'Unsubscribed', 0, 0, 5) s
              WHERE c.id IN ('701000000000001', '701000000000002');
            INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order) VALUES
              ('701000000000003', 'Planned', 0, 1, 1), ('701000000000003', 'Attended', 1, 0, 2);
            INSERT INTO campaign_member (campaign_id, person_id, status, created_at, updated_at)
              SELECT '701000000000001', id, 'Sent', '{added}', '{added}' FROM person
              WHERE entity_type = 'contact' ORDER BY id LIMIT 200;
            INSERT INTO task (who_id, what_id, subject, description, activity_date, created_at)
              SELECT id, '701000000000003', 'Call after trade fair', 'Met at the booth', '{today}', '{stamp}'
              FROM person WHERE entity_type = 'contact' ORDER BY id LIMIT 20;
            INSERT INTO note (parent_id, title, body, created_at)
              SELECT id, 'Prefers email in the morning', NULL, '{stamp}' FROM person
              WHERE entity_type = 'contact' ORDER BY id LIMIT 10;
            """, transaction, cancellationToken);
    }

    private static async Task ExecAsync(SqliteConnection connection, string sql, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        command.Prepare();
        return command;
    }

    private static Task<int> RunAsync(SqliteCommand command, CancellationToken cancellationToken, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed class Counts
    {
        public int Converted { get; set; }

        public int Consents { get; set; }

        public int Members { get; set; }

        public int Bounced { get; set; }

        public int OptedOut { get; set; }

        public int Invalid { get; set; }

        public int Duplicates { get; set; }
    }
}
