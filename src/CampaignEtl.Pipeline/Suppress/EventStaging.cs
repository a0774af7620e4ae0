using System.Globalization;
using System.Runtime.CompilerServices;
using CampaignEtl.Crm.Suppression;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// De-duplicates the events of one attempt in a scratch SQLite file under Data:Folder/tmp (memory does not
/// grow with the number of events): an event whose key is already staged is a duplicate. Deleted on dispose.
/// </summary>
internal sealed class EventStaging : IAsyncDisposable
{
    private const int RowsPerTransaction = 10_000;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly string _path;
    private SqliteTransaction? _tx;
    private int _pending;

    private EventStaging(SqliteConnection connection, SqliteCommand insert, string path)
    {
        _connection = connection;
        _insert = insert;
        _path = path;
    }

    public static async Task<EventStaging> CreateAsync(string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "suppress-" + Guid.NewGuid().ToString("N") + ".db");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
                CREATE TABLE event (seq INTEGER PRIMARY KEY, event_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, recipient_id TEXT NOT NULL,
                    email TEXT NOT NULL, list_id INTEGER, occurred_at INTEGER NOT NULL, reason TEXT NOT NULL, mailing_id TEXT NOT NULL, source TEXT NOT NULL);
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO event (event_key, kind, recipient_id, email, list_id, occurred_at, reason, mailing_id, source) VALUES ($k, $kind, $r, $e, $l, $t, $reason, $m, $s)";
        foreach (var name in new[] { "$k", "$kind", "$r", "$e", "$l", "$t", "$reason", "$m", "$s" })
        {
            insert.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }

        return new EventStaging(connection, insert, path);
    }

    /// <summary>Stages the event; false when the same event is already staged (a duplicate).</summary>
    public async Task<bool> AddAsync(SuppressionEvent e, CancellationToken cancellationToken)
    {
        if (_tx is null)
        {
            _tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            _insert.Transaction = _tx;
        }

        var p = _insert.Parameters;
        p["$k"].Value = e.Key();
        p["$kind"].Value = e.Kind.ToText();
        p["$r"].Value = e.RecipientId;
        p["$e"].Value = e.Email;
        p["$l"].Value = (object?)e.ListId ?? DBNull.Value;
        p["$t"].Value = e.OccurredAt.ToUnixTimeMilliseconds();
        p["$reason"].Value = e.Reason;
        p["$m"].Value = e.MailingId;
        p["$s"].Value = e.Source;
        var added = await _insert.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (++_pending >= RowsPerTransaction)
        {
            await FlushAsync(cancellationToken);
        }

        return added;
    }

    /// <summary>The staged events of the given kinds in the order they were read.</summary>
    public async IAsyncEnumerable<SuppressionEvent> ReadAsync(bool unsubscribes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT kind, recipient_id, email, list_id, occurred_at, reason, mailing_id, source FROM event WHERE "
            + (unsubscribes ? "kind = 'unsubscribe'" : "kind <> 'unsubscribe'") + " ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!SuppressionKinds.TryParse(reader.GetString(0), out var kind))
            {
                throw new InvalidOperationException("The staging table holds an unknown kind.");
            }

            yield return new SuppressionEvent(
                kind, reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.GetString(5), reader.GetString(6), reader.GetString(7));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_tx is not null)
        {
            await _tx.DisposeAsync();
        }

        await _insert.DisposeAsync();
        await _connection.DisposeAsync();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // The next attempt's scratch file has another name; a leftover is removed with the tmp folder.
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_tx is not null)
        {
            await _tx.CommitAsync(cancellationToken);
            await _tx.DisposeAsync();
            _tx = null;
            _insert.Transaction = null;
        }

        _pending = 0;
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
