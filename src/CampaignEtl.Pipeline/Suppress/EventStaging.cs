using System.Security.Cryptography;
using CampaignEtl.Crm.Suppression;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// De-duplicates the events of one attempt in a scratch SQLite file under Data:Folder/tmp (memory does not
/// grow with the number of events): an event whose key is already staged is a duplicate. Only the keys are
/// kept, as the 32 bytes of their SHA-256 (the ledger's key spelled in hex would be twice as long): the events
/// themselves go straight into the result files as they are read, in the order they were first seen. Deleted
/// on dispose.
/// </summary>
internal sealed class EventStaging : IAsyncDisposable
{
    private const int RowsPerTransaction = 10_000;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _key;
    private readonly string _path;
    private SqliteTransaction? _tx;
    private int _pending;

    private EventStaging(SqliteConnection connection, SqliteCommand insert, string path)
    {
        _connection = connection;
        _insert = insert;
        _key = insert.Parameters[0];
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
                CREATE TABLE seen (event_hash BLOB PRIMARY KEY) WITHOUT ROWID;
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO seen (event_hash) VALUES ($k)";
        insert.Parameters.Add(new SqliteParameter { ParameterName = "$k", SqliteType = SqliteType.Blob, Value = DBNull.Value });
        return new EventStaging(connection, insert, path);
    }

    /// <summary>Stages the event's key; false when the same event is already staged (a duplicate).</summary>
    public async Task<bool> AddAsync(SuppressionEvent e, CancellationToken cancellationToken)
    {
        if (_tx is null)
        {
            _tx = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            _insert.Transaction = _tx;
        }

        var hash = new byte[SHA256.HashSizeInBytes];
        e.KeyHash(hash);
        _key.Value = hash;
        var added = await _insert.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (++_pending >= RowsPerTransaction)
        {
            await _tx.CommitAsync(cancellationToken);
            await _tx.DisposeAsync();
            _tx = null;
            _insert.Transaction = null;
            _pending = 0;
        }

        return added;
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
}
