using System.Globalization;
using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Suppression;

/// <summary>How one event ended in the CRM.</summary>
public enum ApplyOutcome
{
    /// <summary>Recorded in the ledger; the people matched were changed where the event was news to them.</summary>
    Applied,

    /// <summary>The ledger already had it: nothing changed.</summary>
    AlreadyApplied,

    /// <summary>No person has that recipient id or address.</summary>
    UnknownRecipient,

    /// <summary>A list-based unsubscribe from a list not configured under Export:RecipientLists.</summary>
    UnknownRecipientList,
}

/// <summary>The result of one event; <see cref="AmbiguousPersonIds"/> is set when the address matched several people.</summary>
public sealed record ApplyResult(ApplyOutcome Outcome, int PeopleChanged, IReadOnlyList<string>? AmbiguousPersonIds);

/// <summary>What the writer needs besides the events.</summary>
public sealed record SuppressionSettings(string RunId, int SoftBounceThreshold, IReadOnlyDictionary<long, long> OptInByListId, DateTimeOffset Now);

/// <summary>
/// Applies suppression events to the CRM, one transaction per batch. Matching rule: the recipient id is the
/// CRM person id (the export writes it so); a converted lead stands for its converted contact. When the id
/// is empty or unknown, the address decides (person.email_normalized): one person → that person; several →
/// all of them, reported as an ambiguity (the platform knows one address, and each of those records would
/// mail it); none → unknown recipient. Events already in the ledger change nothing.
/// </summary>
public sealed class SuppressionWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SuppressionSettings _settings;
    private readonly string _now;

    private SuppressionWriter(SqliteConnection connection, SuppressionSettings settings)
    {
        _connection = connection;
        _settings = settings;
        _now = CrmTime.Format(settings.Now);
    }

    /// <summary>Changes per kind of change (e.g. <c>email-bounced</c>), for the stage's details.</summary>
    public SortedDictionary<string, long> Changes { get; } = new(StringComparer.Ordinal);

    public static async Task<SuppressionWriter> OpenAsync(CrmDatabase database, SuppressionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        var connection = await database.OpenAsync(readOnly: false, cancellationToken);
        return new SuppressionWriter(connection, settings);
    }

    /// <summary>The watermark's value, or null before the first successful write.</summary>
    public static async Task<string?> ReadWatermarkAsync(CrmDatabase database, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = await database.OpenAsync(readOnly: false, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM sync_watermark WHERE name = $n";
        command.Parameters.AddWithValue("$n", name);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Sets a watermark (e.g. the end of the last applied suppress window) in its own transaction.</summary>
    public static async Task WriteWatermarkAsync(CrmDatabase database, string name, string value, string runId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = await database.OpenAsync(readOnly: false, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sync_watermark (name, value, run_id, updated_at) VALUES ($n, $v, $r, $t)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, run_id = excluded.run_id, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$n", name);
        command.Parameters.AddWithValue("$v", value);
        command.Parameters.AddWithValue("$r", runId);
        command.Parameters.AddWithValue("$t", CrmTime.Format(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Applies a batch in one transaction. <paramref name="commit"/> false rolls everything back (a dry
    /// run sees the outcomes, the CRM stays as it was).
    /// </summary>
    public async Task<IReadOnlyList<ApplyResult>> ApplyBatchAsync(
        IReadOnlyList<LocatedEvent> batch, bool commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var results = new ApplyResult[batch.Count];
        await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
        for (var i = 0; i < batch.Count; i++)
        {
            results[i] = await ApplyAsync(tx, batch[i], cancellationToken);
        }

        if (commit)
        {
            await tx.CommitAsync(cancellationToken);
        }
        else
        {
            await tx.RollbackAsync(cancellationToken);
        }

        return results;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private async Task<ApplyResult> ApplyAsync(SqliteTransaction tx, LocatedEvent located, CancellationToken ct)
    {
        var e = located.Event;
        long optInId = 0;
        if (e.Kind == SuppressionKind.Unsubscribe && e.ListId is { } listId && !_settings.OptInByListId.TryGetValue(listId, out optInId))
        {
            return new ApplyResult(ApplyOutcome.UnknownRecipientList, 0, null);
        }

        var people = await MatchAsync(tx, e, ct);
        if (people.Count == 0)
        {
            return new ApplyResult(ApplyOutcome.UnknownRecipient, 0, null);
        }

        var at = CrmTime.Format(e.OccurredAt);
        var recorded = await ExecuteAsync(tx,
            "INSERT OR IGNORE INTO suppression_event (event_key, kind, occurred_at, run_id, archive_file, line, applied_at) VALUES ($k, $kind, $at, $r, $f, $l, $t)",
            ct, ("$k", e.Key()), ("$kind", e.Kind.ToText()), ("$at", at), ("$r", _settings.RunId), ("$f", located.File), ("$l", located.Line), ("$t", _now));
        if (recorded == 0)
        {
            return new ApplyResult(ApplyOutcome.AlreadyApplied, 0, null);
        }

        var changed = 0;
        foreach (var person in people)
        {
            var change = e.Kind switch
            {
                SuppressionKind.Hard or SuppressionKind.Outbounce => await BounceAsync(tx, person, at, Reason(e), located, ct),
                SuppressionKind.Soft => await SoftBounceAsync(tx, person, at, located, ct),
                _ when e.ListId is null => await OptOutAsync(tx, person, at, located, ct),
                _ => await RevokeAsync(tx, person, optInId, at, located, ct),
            };
            changed += change ? 1 : 0;
        }

        return new ApplyResult(ApplyOutcome.Applied, changed, people.Count > 1 ? people : null);
    }

    private static string Reason(SuppressionEvent e) =>
        !string.IsNullOrWhiteSpace(e.Reason) ? e.Reason : e.Kind == SuppressionKind.Hard ? "hard bounce" : "outbounce";

    /// <summary>The people an event belongs to, by the rule in the class comment; converted leads replaced by their contacts.</summary>
    private async Task<List<string>> MatchAsync(SqliteTransaction tx, SuppressionEvent e, CancellationToken ct)
    {
        var found = new List<string>();
        if (!string.IsNullOrWhiteSpace(e.RecipientId))
        {
            await ReadPeopleAsync(tx, "SELECT id, is_converted, converted_contact_id FROM person WHERE id = $v", e.RecipientId.Trim(), found, ct);
        }

        if (found.Count == 0 && !string.IsNullOrWhiteSpace(e.Email))
        {
            await ReadPeopleAsync(tx, "SELECT id, is_converted, converted_contact_id FROM person WHERE email_normalized = lower(trim($v)) ORDER BY id", e.Email, found, ct);
        }

        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    private async Task ReadPeopleAsync(SqliteTransaction tx, string sql, string value, List<string> found, CancellationToken ct)
    {
        await using var command = Command(tx, sql, ("$v", value));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var converted = reader.GetInt64(1) == 1 && !reader.IsDBNull(2);
            found.Add(converted ? reader.GetString(2) : reader.GetString(0));
        }
    }

    private async Task<bool> BounceAsync(SqliteTransaction tx, string person, string at, string reason, LocatedEvent from, CancellationToken ct)
    {
        // An earlier (or the same) bounce date stays: the first bounce is the fact that counts.
        var rows = await ExecuteAsync(tx, """
            UPDATE person SET email_bounced_at = $at, email_bounced_reason = $reason, updated_at = $now,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $id AND (email_bounced_at IS NULL OR email_bounced_at > $at)
            """, ct, ("$at", at), ("$reason", reason), ("$now", _now), ("$run", _settings.RunId), ("$file", from.File), ("$line", from.Line), ("$id", person));
        return rows > 0 && await LineageAsync(tx, "person", person, "email-bounced", from, ct);
    }

    private async Task<bool> SoftBounceAsync(SqliteTransaction tx, string person, string at, LocatedEvent from, CancellationToken ct)
    {
        await ExecuteAsync(tx, """
            UPDATE person SET soft_bounce_count = soft_bounce_count + 1, updated_at = $now,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $id
            """, ct, ("$now", _now), ("$run", _settings.RunId), ("$file", from.File), ("$line", from.Line), ("$id", person));
        await LineageAsync(tx, "person", person, "soft-bounce-counted", from, ct);
        var reason = string.Create(CultureInfo.InvariantCulture, $"soft bounces reached {_settings.SoftBounceThreshold}");
        var marked = await ExecuteAsync(tx, """
            UPDATE person SET email_bounced_at = $at, email_bounced_reason = $reason
            WHERE id = $id AND email_bounced_at IS NULL AND soft_bounce_count >= $threshold
            """, ct, ("$at", at), ("$reason", reason), ("$id", person), ("$threshold", _settings.SoftBounceThreshold));
        if (marked > 0)
        {
            await LineageAsync(tx, "person", person, "email-bounced", from, ct);
        }

        return true;
    }

    private async Task<bool> OptOutAsync(SqliteTransaction tx, string person, string at, LocatedEvent from, CancellationToken ct)
    {
        var rows = await ExecuteAsync(tx, """
            UPDATE person SET has_opted_out_of_email = 1, opted_out_at = $at, updated_at = $now,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $id AND has_opted_out_of_email = 0
            """, ct, ("$at", at), ("$now", _now), ("$run", _settings.RunId), ("$file", from.File), ("$line", from.Line), ("$id", person));
        return rows > 0 && await LineageAsync(tx, "person", person, "email-opted-out", from, ct);
    }

    private async Task<bool> RevokeAsync(SqliteTransaction tx, string person, long optInId, string at, LocatedEvent from, CancellationToken ct)
    {
        // A consent granted again after the unsubscribe (changed_at later than the event) is the newer fact and stays.
        var rows = await ExecuteAsync(tx, """
            INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by, lineage_run_id, lineage_file, lineage_line)
            VALUES ($id, $optIn, 'revoked', $at, 'platform-unsubscribe', $run, $file, $line)
            ON CONFLICT (person_id, opt_in_id) DO UPDATE SET status = 'revoked', changed_at = excluded.changed_at, changed_by = excluded.changed_by,
                lineage_run_id = excluded.lineage_run_id, lineage_file = excluded.lineage_file, lineage_line = excluded.lineage_line
            WHERE consent.status <> 'revoked' AND consent.changed_at <= excluded.changed_at
            """, ct, ("$id", person), ("$optIn", optInId), ("$at", at), ("$run", _settings.RunId), ("$file", from.File), ("$line", from.Line));
        return rows > 0 && await LineageAsync(tx, "consent", string.Create(CultureInfo.InvariantCulture, $"{person}:{optInId}"), "consent-revoked", from, ct);
    }

    private async Task<bool> LineageAsync(SqliteTransaction tx, string entity, string key, string change, LocatedEvent from, CancellationToken ct)
    {
        await ExecuteAsync(tx,
            "INSERT INTO change_lineage (changed_at, entity, entity_key, change, run_id, archive_file, line) VALUES ($t, $e, $k, $c, $r, $f, $l)",
            ct, ("$t", _now), ("$e", entity), ("$k", key), ("$c", change), ("$r", _settings.RunId), ("$f", from.File), ("$l", from.Line));
        Changes[change] = Changes.GetValueOrDefault(change) + 1;
        return true;
    }

    private async Task<int> ExecuteAsync(SqliteTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
