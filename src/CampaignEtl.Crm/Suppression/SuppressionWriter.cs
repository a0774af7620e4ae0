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
    private readonly SuppressionRules _rules;

    // The two lookups run once or twice per event: prepared once per writer on the native handle (as the rules).
    private readonly NativeStatement _byId;
    private readonly NativeStatement _byEmail;

    private SuppressionWriter(SqliteConnection connection, SuppressionSettings settings)
    {
        _connection = connection;
        _settings = settings;
        _rules = new SuppressionRules(connection, settings.RunId, settings.SoftBounceThreshold, settings.Now, Changes);
        _byId = new NativeStatement(connection, "SELECT id, is_converted, converted_contact_id FROM person WHERE id = ?1");
        _byEmail = new NativeStatement(connection, "SELECT id, is_converted, converted_contact_id FROM person WHERE email_normalized = lower(trim(?1)) ORDER BY id");
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
            cancellationToken.ThrowIfCancellationRequested();
            results[i] = Apply(batch[i]);
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

    public async ValueTask DisposeAsync()
    {
        _rules.Dispose();
        _byId.Dispose();
        _byEmail.Dispose();
        await _connection.DisposeAsync();
    }

    private ApplyResult Apply(LocatedEvent located)
    {
        var e = located.Event;
        long optInId = 0;
        if (e.Kind == SuppressionKind.Unsubscribe && e.ListId is { } listId && !_settings.OptInByListId.TryGetValue(listId, out optInId))
        {
            return new ApplyResult(ApplyOutcome.UnknownRecipientList, 0, null);
        }

        var people = Match(e);
        if (people.Count == 0)
        {
            return new ApplyResult(ApplyOutcome.UnknownRecipient, 0, null);
        }

        if (!_rules.TryRecord(e, located.File, located.Line))
        {
            return new ApplyResult(ApplyOutcome.AlreadyApplied, 0, null);
        }

        var changed = 0;
        foreach (var person in people)
        {
            changed += _rules.Apply(e, person, optInId, located.File, located.Line) ? 1 : 0;
        }

        return new ApplyResult(ApplyOutcome.Applied, changed, people.Count > 1 ? people : null);
    }

    /// <summary>The people an event belongs to, by the rule in the class comment; converted leads replaced by their contacts.</summary>
    private List<string> Match(SuppressionEvent e)
    {
        var found = new List<string>(1);
        if (!string.IsNullOrWhiteSpace(e.RecipientId))
        {
            ReadPeople(_byId, e.RecipientId.Trim(), found);
        }

        if (found.Count == 0 && !string.IsNullOrWhiteSpace(e.Email))
        {
            ReadPeople(_byEmail, e.Email, found);
        }

        return found.Count < 2 ? found : [.. found.Distinct(StringComparer.Ordinal)];
    }

    private static void ReadPeople(NativeStatement lookup, string value, List<string> found)
    {
        lookup.Bind(1, value);
        try
        {
            while (lookup.Read())
            {
                var converted = lookup.GetInt64(1) == 1 && !lookup.IsNull(2);
                found.Add(converted ? lookup.GetString(2) : lookup.GetString(0));
            }
        }
        finally
        {
            lookup.Reset();
        }
    }
}
