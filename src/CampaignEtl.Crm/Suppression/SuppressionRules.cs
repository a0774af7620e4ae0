using System.Globalization;
using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Suppression;

/// <summary>
/// The person part of a suppression event (bounce, soft bounce, opt-out, consent revoked) and its ledger, applied
/// inside a transaction the caller owns: <see cref="SuppressionWriter"/> (suppress) and the response writer (ingest)
/// share it, so the same event reaching the CRM from both is applied once. Commands are prepared once per instance;
/// call <see cref="Enlist"/> with each new transaction before using them.
/// </summary>
internal sealed class SuppressionRules : IAsyncDisposable
{
    private readonly string _runId;
    private readonly int _softBounceThreshold;
    private readonly string _now;
    private readonly SortedDictionary<string, long> _changes;
    private readonly string _softBounceReason;
    private readonly SqliteCommand _record;
    private readonly SqliteCommand _bounce;
    private readonly SqliteCommand _softCount;
    private readonly SqliteCommand _softMark;
    private readonly SqliteCommand _optOut;
    private readonly SqliteCommand _revoke;
    private readonly SqliteCommand _lineage;

    public SuppressionRules(SqliteConnection connection, string runId, int softBounceThreshold, DateTimeOffset now, SortedDictionary<string, long> changes)
    {
        _runId = runId;
        _softBounceThreshold = softBounceThreshold;
        _now = CrmTime.Format(now);
        _changes = changes;
        _softBounceReason = string.Create(CultureInfo.InvariantCulture, $"soft bounces reached {softBounceThreshold}");
        _record = Command(connection,
            "INSERT OR IGNORE INTO suppression_event (event_key, kind, occurred_at, run_id, archive_file, line, applied_at) VALUES ($k, $kind, $at, $run, $file, $line, $now)",
            "$k", "$kind", "$at", "$file", "$line");
        // An earlier (or the same) bounce date stays: the first bounce is the fact that counts.
        _bounce = Command(connection, """
            UPDATE person SET email_bounced_at = $at, email_bounced_reason = $reason, updated_at = $now,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $id AND (email_bounced_at IS NULL OR email_bounced_at > $at)
            """, "$at", "$reason", "$file", "$line", "$id");
        _softCount = Command(connection, """
            UPDATE person SET soft_bounce_count = soft_bounce_count + 1, updated_at = $now,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $id
            """, "$file", "$line", "$id");
        _softMark = Command(connection, """
            UPDATE person SET email_bounced_at = $at, email_bounced_reason = $reason
            WHERE id = $id AND email_bounced_at IS NULL AND soft_bounce_count >= $threshold
            """, "$at", "$reason", "$id", "$threshold");
        _optOut = Command(connection, """
            UPDATE person SET has_opted_out_of_email = 1, opted_out_at = $at, updated_at = $now,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $id AND has_opted_out_of_email = 0
            """, "$at", "$file", "$line", "$id");
        // A consent granted again after the unsubscribe (changed_at later than the event) is the newer fact and stays.
        _revoke = Command(connection, """
            INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by, lineage_run_id, lineage_file, lineage_line)
            VALUES ($id, $optIn, 'revoked', $at, 'platform-unsubscribe', $run, $file, $line)
            ON CONFLICT (person_id, opt_in_id) DO UPDATE SET status = 'revoked', changed_at = excluded.changed_at, changed_by = excluded.changed_by,
                lineage_run_id = excluded.lineage_run_id, lineage_file = excluded.lineage_file, lineage_line = excluded.lineage_line
            WHERE consent.status <> 'revoked' AND consent.changed_at <= excluded.changed_at
            """, "$id", "$optIn", "$at", "$file", "$line");
        _lineage = Command(connection,
            "INSERT INTO change_lineage (changed_at, entity, entity_key, change, run_id, archive_file, line) VALUES ($now, $e, $k, $c, $run, $file, $line)",
            "$e", "$k", "$c", "$file", "$line");
    }

    /// <summary>Every command takes part in <paramref name="tx"/> (SQLite requires it of each command on a connection with a pending transaction).</summary>
    public void Enlist(SqliteTransaction? tx)
    {
        foreach (var command in Commands())
        {
            command.Transaction = tx;
        }
    }

    /// <summary>Records the event in the suppression ledger; false when it was already there (then nothing is to change).</summary>
    public async Task<bool> TryRecordAsync(SuppressionEvent e, string file, long line, CancellationToken ct)
    {
        Set(_record, "$k", e.Key());
        Set(_record, "$kind", e.Kind.ToText());
        Set(_record, "$at", CrmTime.Format(e.OccurredAt));
        Set(_record, "$file", file);
        Set(_record, "$line", line);
        return await _record.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>
    /// Applies the event to one person; <paramref name="optInId"/> is the opt-in a list-based unsubscribe revokes
    /// (ignored for the others). True when the person changed.
    /// </summary>
    public async Task<bool> ApplyAsync(SuppressionEvent e, string person, long optInId, string file, long line, CancellationToken ct)
    {
        var at = CrmTime.Format(e.OccurredAt);
        return e.Kind switch
        {
            SuppressionKind.Hard or SuppressionKind.Outbounce => await BounceAsync(person, at, Reason(e), file, line, ct),
            SuppressionKind.Soft => await SoftBounceAsync(person, at, file, line, ct),
            _ when e.ListId is null => await OptOutAsync(person, at, file, line, ct),
            _ => await RevokeAsync(person, optInId, at, file, line, ct),
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in Commands())
        {
            await command.DisposeAsync();
        }
    }

    private static string Reason(SuppressionEvent e) =>
        !string.IsNullOrWhiteSpace(e.Reason) ? e.Reason : e.Kind == SuppressionKind.Hard ? "hard bounce" : "outbounce";

    private async Task<bool> BounceAsync(string person, string at, string reason, string file, long line, CancellationToken ct)
    {
        Set(_bounce, "$at", at);
        Set(_bounce, "$reason", reason);
        Set(_bounce, "$file", file);
        Set(_bounce, "$line", line);
        Set(_bounce, "$id", person);
        return await _bounce.ExecuteNonQueryAsync(ct) > 0 && await LineageAsync("person", person, "email-bounced", file, line, ct);
    }

    private async Task<bool> SoftBounceAsync(string person, string at, string file, long line, CancellationToken ct)
    {
        Set(_softCount, "$file", file);
        Set(_softCount, "$line", line);
        Set(_softCount, "$id", person);
        await _softCount.ExecuteNonQueryAsync(ct);
        await LineageAsync("person", person, "soft-bounce-counted", file, line, ct);
        Set(_softMark, "$at", at);
        Set(_softMark, "$reason", _softBounceReason);
        Set(_softMark, "$id", person);
        Set(_softMark, "$threshold", _softBounceThreshold);
        if (await _softMark.ExecuteNonQueryAsync(ct) > 0)
        {
            await LineageAsync("person", person, "email-bounced", file, line, ct);
        }

        return true;
    }

    private async Task<bool> OptOutAsync(string person, string at, string file, long line, CancellationToken ct)
    {
        Set(_optOut, "$at", at);
        Set(_optOut, "$file", file);
        Set(_optOut, "$line", line);
        Set(_optOut, "$id", person);
        return await _optOut.ExecuteNonQueryAsync(ct) > 0 && await LineageAsync("person", person, "email-opted-out", file, line, ct);
    }

    private async Task<bool> RevokeAsync(string person, long optInId, string at, string file, long line, CancellationToken ct)
    {
        Set(_revoke, "$id", person);
        Set(_revoke, "$optIn", optInId);
        Set(_revoke, "$at", at);
        Set(_revoke, "$file", file);
        Set(_revoke, "$line", line);
        return await _revoke.ExecuteNonQueryAsync(ct) > 0
            && await LineageAsync("consent", string.Create(CultureInfo.InvariantCulture, $"{person}:{optInId}"), "consent-revoked", file, line, ct);
    }

    private async Task<bool> LineageAsync(string entity, string key, string change, string file, long line, CancellationToken ct)
    {
        Set(_lineage, "$e", entity);
        Set(_lineage, "$k", key);
        Set(_lineage, "$c", change);
        Set(_lineage, "$file", file);
        Set(_lineage, "$line", line);
        await _lineage.ExecuteNonQueryAsync(ct);
        _changes[change] = _changes.GetValueOrDefault(change) + 1;
        return true;
    }

    private static void Set(SqliteCommand command, string name, object value) => command.Parameters[name].Value = value;

    /// <summary>A command whose run id and time are fixed for the instance and whose other parameters are set per call.</summary>
    private SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        if (sql.Contains("$run", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$run", _runId);
        }

        if (sql.Contains("$now", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$now", _now);
        }

        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }

        return command;
    }

    private IEnumerable<SqliteCommand> Commands() => [_record, _bounce, _softCount, _softMark, _optOut, _revoke, _lineage];
}
