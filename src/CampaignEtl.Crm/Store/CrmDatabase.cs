using System.Reflection;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Store;

/// <summary>Opens connections to the embedded CRM (SQLite) and creates its schema.</summary>
public sealed class CrmDatabase
{
    public const string SchemaVersion = "2";

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteNotADatabase = 26;

    public CrmDatabase(string path, TimeSpan busyTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        BusyTimeout = busyTimeout;
    }

    public string Path { get; }

    public TimeSpan BusyTimeout { get; }

    public bool Exists => File.Exists(Path);

    /// <summary>Opens an existing CRM; a missing file is an error, never silently created.</summary>
    public async Task<SqliteConnection> OpenAsync(bool readOnly, CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            throw CrmUnavailableException.Missing(Path);
        }

        var connection = new SqliteConnection(ConnectionString(readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite));
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using (var pragma = connection.CreateCommand())
            {
                // 16 MiB of page cache (SQLite's default is 2 MiB): lookups of accounts and consents per person
                // then mostly hit memory. Fixed, so memory still does not grow with the number of people.
                pragma.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;";
                if (!readOnly)
                {
                    // A writer (ingest's event ledger: random keys, so every batch touches pages all over it) gets
                    // 32 MiB of page cache instead, so the ledger's hot pages stay in memory instead of being read
                    // back page by page. At most 32 MiB per write connection, whatever the row count (64 MiB measured
                    // no faster at 1M events and put the whole job's peak over 300 MB: bench ingest, bench job).
                    // synchronous = NORMAL: in WAL mode a commit no longer waits for an fsync; a crash of the process
                    // still loses nothing, a power cut at most the last transactions, each whole (the ingest ledger
                    // moves in the same transaction, so nothing is applied twice).
                    // wal_autocheckpoint = 16384 pages (64 MiB of WAL file on disk, not memory): a page changed by
                    // several batches (the ledger's, the indexes') is copied into the database once per checkpoint
                    // instead of after nearly every batch.
                    pragma.CommandText += " PRAGMA cache_size = -32768; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 16384;";
                }
                await pragma.ExecuteNonQueryAsync(cancellationToken);
            }

            await CheckSchemaAsync(connection, cancellationToken);
            if (!readOnly)
            {
                // Tables added to schema version 2 later (suppression ledger, watermarks) come to an
                // existing database here: the script is all IF NOT EXISTS, so this is a no-op once present.
                await using var ensure = connection.CreateCommand();
                ensure.CommandText = LoadSchemaScript();
                await ensure.ExecuteNonQueryAsync(cancellationToken);
                await MigrateAsync(connection, cancellationToken);
            }

            return connection;
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync();
            throw Translate(ex);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Brings a CRM of an earlier build to the current shape where <c>CREATE TABLE IF NOT EXISTS</c> cannot: the
    /// updated_at ingest last wrote on a member moves from its own table (<c>campaign_member_sync</c>) into the member
    /// row. Once, under the write lock, checked again inside it (another process may have done it meanwhile).
    /// </summary>
    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (await HasIngestColumnAsync(connection, null, cancellationToken))
        {
            return;
        }

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (!await HasIngestColumnAsync(connection, transaction, cancellationToken))
        {
            await using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = "ALTER TABLE campaign_member ADD COLUMN ingest_updated_at TEXT;";
            await migrate.ExecuteNonQueryAsync(cancellationToken);
            migrate.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'campaign_member_sync'";
            if ((long)(await migrate.ExecuteScalarAsync(cancellationToken))! == 1)
            {
                migrate.CommandText = """
                    UPDATE campaign_member SET ingest_updated_at = s.status_updated_at FROM campaign_member_sync s WHERE s.member_id = campaign_member.id;
                    DROP TABLE campaign_member_sync;
                    """;
                await migrate.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<bool> HasIngestColumnAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM pragma_table_info('campaign_member') WHERE name = 'ingest_updated_at'";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    /// <summary>Deletes any existing file and creates an empty CRM with the current schema.</summary>
    public async Task<SqliteConnection> CreateAsync(CancellationToken cancellationToken)
    {
        var folder = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        foreach (var file in new[] { Path, Path + "-wal", Path + "-shm", Path + "-journal" })
        {
            File.Delete(file);
        }

        var connection = new SqliteConnection(ConnectionString(SqliteOpenMode.ReadWriteCreate));
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;\n" + LoadSchemaScript() +
            $"\nINSERT INTO schema_info (key, value) VALUES ('schema_version', '{SchemaVersion}');";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Turns SQLite's codes into the one-line reasons an operator can act on.</summary>
    public Exception Translate(SqliteException ex) => ex.SqliteErrorCode switch
    {
        SqliteBusy or SqliteLocked => CrmUnavailableException.Locked(Path, ex),
        SqliteNotADatabase => CrmUnavailableException.NotACrm(Path, "the file is not a SQLite database", ex),
        _ => ex,
    };

    internal static string LoadSchemaScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CampaignEtl.Crm.crm.sqlite.sql")
            ?? throw new InvalidOperationException("The CRM schema resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private string ConnectionString(SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = Path,
        Mode = mode,
        Pooling = false,
        DefaultTimeout = (int)Math.Max(1, BusyTimeout.TotalSeconds),
    }.ToString();

    private async Task CheckSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM schema_info WHERE key = 'schema_version'";
        object? version;
        try
        {
            version = await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1)
        {
            throw CrmUnavailableException.NotACrm(Path, "the CRM tables are missing", ex);
        }

        if (version is not string text || text != SchemaVersion)
        {
            throw CrmUnavailableException.NotACrm(Path, $"schema version '{version}' is not the expected '{SchemaVersion}'");
        }
    }
}
