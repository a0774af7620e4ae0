using System.Globalization;
using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Suppression;

/// <summary>
/// The person part of a suppression event (bounce, soft bounce, opt-out, consent revoked) and its ledger, applied
/// inside a transaction the caller owns: <see cref="SuppressionWriter"/> (suppress) and the response writer (ingest)
/// share it, so the same event reaching the CRM from both is applied once. Statements are prepared once per instance
/// on the connection's native handle and run in whatever transaction the connection has open (SQLite transactions
/// belong to the connection): bound by position, they cost a fraction of an ADO.NET command per event.
/// </summary>
internal sealed class SuppressionRules : IDisposable
{
    private readonly int _softBounceThreshold;
    private readonly SortedDictionary<string, long> _changes;
    private readonly string _softBounceReason;
    private readonly NativeStatement _record;
    private readonly NativeStatement _bounce;
    private readonly NativeStatement _softCount;
    private readonly NativeStatement _softMark;
    private readonly NativeStatement _optOut;
    private readonly NativeStatement _revoke;
    private readonly NativeStatement _lineage;

    public SuppressionRules(SqliteConnection connection, string runId, int softBounceThreshold, DateTimeOffset now, SortedDictionary<string, long> changes)
    {
        _softBounceThreshold = softBounceThreshold;
        _changes = changes;
        _softBounceReason = string.Create(CultureInfo.InvariantCulture, $"soft bounces reached {softBounceThreshold}");
        var fixedValues = (RunId: runId, Now: CrmTime.Format(now));
        _record = Prepare(connection, fixedValues,
            "INSERT OR IGNORE INTO suppression_event (event_key, kind, occurred_at, archive_file, line, run_id, applied_at) VALUES (?1, ?2, ?3, ?4, ?5, ?9, ?8)");
        // An earlier (or the same) bounce date stays: the first bounce is the fact that counts.
        _bounce = Prepare(connection, fixedValues, """
            UPDATE person SET email_bounced_at = ?1, email_bounced_reason = ?2, updated_at = ?8,
                lineage_run_id = ?9, lineage_file = ?3, lineage_line = ?4
            WHERE id = ?5 AND (email_bounced_at IS NULL OR email_bounced_at > ?1)
            """);
        _softCount = Prepare(connection, fixedValues, """
            UPDATE person SET soft_bounce_count = soft_bounce_count + 1, updated_at = ?8,
                lineage_run_id = ?9, lineage_file = ?1, lineage_line = ?2
            WHERE id = ?3
            """);
        _softMark = Prepare(connection, fixedValues, """
            UPDATE person SET email_bounced_at = ?1, email_bounced_reason = ?2
            WHERE id = ?3 AND email_bounced_at IS NULL AND soft_bounce_count >= ?4
            """);
        _optOut = Prepare(connection, fixedValues, """
            UPDATE person SET has_opted_out_of_email = 1, opted_out_at = ?1, updated_at = ?8,
                lineage_run_id = ?9, lineage_file = ?2, lineage_line = ?3
            WHERE id = ?4 AND has_opted_out_of_email = 0
            """);
        // A consent granted again after the unsubscribe (changed_at later than the event) is the newer fact and stays.
        _revoke = Prepare(connection, fixedValues, """
            INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by, lineage_file, lineage_line, lineage_run_id)
            VALUES (?1, ?2, 'revoked', ?3, 'platform-unsubscribe', ?4, ?5, ?9)
            ON CONFLICT (person_id, opt_in_id) DO UPDATE SET status = 'revoked', changed_at = excluded.changed_at, changed_by = excluded.changed_by,
                lineage_run_id = excluded.lineage_run_id, lineage_file = excluded.lineage_file, lineage_line = excluded.lineage_line
            WHERE consent.status <> 'revoked' AND consent.changed_at <= excluded.changed_at
            """);
        _lineage = Prepare(connection, fixedValues,
            "INSERT INTO change_lineage (entity, entity_key, change, archive_file, line, changed_at, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?8, ?9)");
    }

    /// <summary>Records the event in the suppression ledger; false when it was already there (then nothing is to change).</summary>
    public bool TryRecord(SuppressionEvent e, string file, long line) =>
        _record.Bind(1, e.Key()).Bind(2, e.Kind.ToText()).Bind(3, CrmTime.Format(e.OccurredAt)).Bind(4, file).Bind(5, line).Execute() > 0;

    /// <summary>
    /// Applies the event to one person; <paramref name="optInId"/> is the opt-in a list-based unsubscribe revokes
    /// (ignored for the others). True when the person changed.
    /// </summary>
    public bool Apply(SuppressionEvent e, string person, long optInId, string file, long line)
    {
        var at = CrmTime.Format(e.OccurredAt);
        return e.Kind switch
        {
            SuppressionKind.Hard or SuppressionKind.Outbounce => Bounce(person, at, Reason(e), file, line),
            SuppressionKind.Soft => SoftBounce(person, at, file, line),
            _ when e.ListId is null => OptOut(person, at, file, line),
            _ => Revoke(person, optInId, at, file, line),
        };
    }

    public void Dispose()
    {
        foreach (var statement in (NativeStatement[])[_record, _bounce, _softCount, _softMark, _optOut, _revoke, _lineage])
        {
            statement.Dispose();
        }
    }

    private static string Reason(SuppressionEvent e) =>
        !string.IsNullOrWhiteSpace(e.Reason) ? e.Reason : e.Kind == SuppressionKind.Hard ? "hard bounce" : "outbounce";

    /// <summary>
    /// A statement whose run id (<c>?9</c>) and time (<c>?8</c>) are fixed for the instance; the rest bound per call.
    /// Numbered, not named: SQLite numbers a named parameter after the highest number seen before it in the text, so a
    /// <c>$run</c> ahead of a <c>?3</c> would share its slot.
    /// </summary>
    private static NativeStatement Prepare(SqliteConnection connection, (string RunId, string Now) fixedValues, string sql) =>
        new NativeStatement(connection, sql).BindIfPresent("?9", fixedValues.RunId).BindIfPresent("?8", fixedValues.Now);

    private bool Bounce(string person, string at, string reason, string file, long line) =>
        _bounce.Bind(1, at).Bind(2, reason).Bind(3, file).Bind(4, line).Bind(5, person).Execute() > 0
        && Lineage("person", person, "email-bounced", file, line);

    private bool SoftBounce(string person, string at, string file, long line)
    {
        _softCount.Bind(1, file).Bind(2, line).Bind(3, person).Execute();
        Lineage("person", person, "soft-bounce-counted", file, line);
        if (_softMark.Bind(1, at).Bind(2, _softBounceReason).Bind(3, person).Bind(4, _softBounceThreshold).Execute() > 0)
        {
            Lineage("person", person, "email-bounced", file, line);
        }

        return true;
    }

    private bool OptOut(string person, string at, string file, long line) =>
        _optOut.Bind(1, at).Bind(2, file).Bind(3, line).Bind(4, person).Execute() > 0
        && Lineage("person", person, "email-opted-out", file, line);

    private bool Revoke(string person, long optInId, string at, string file, long line) =>
        _revoke.Bind(1, person).Bind(2, optInId).Bind(3, at).Bind(4, file).Bind(5, line).Execute() > 0
        && Lineage("consent", string.Create(CultureInfo.InvariantCulture, $"{person}:{optInId}"), "consent-revoked", file, line);

    private bool Lineage(string entity, string key, string change, string file, long line)
    {
        _lineage.Bind(1, entity).Bind(2, key).Bind(3, change).Bind(4, file).Bind(5, line).Execute();
        _changes[change] = _changes.GetValueOrDefault(change) + 1;
        return true;
    }
}
