using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CampaignEtl.Crm.Store;

/// <summary>
/// A statement prepared once on a connection's native handle and bound by position. The ADO.NET command binds every
/// parameter by name on every execution and boxes each value; on the ingest writer's per-event statements that was
/// most of the time SQLite itself did not need. It runs in whatever transaction the connection has open (SQLite
/// transactions belong to the connection), and fails with the same <see cref="SqliteException"/> a command would.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _utf8 = new byte[256];

    public NativeStatement(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>
    /// The position of a named parameter (<c>$name</c>, or <c>?N</c> by its text); 0 when the statement has none of that
    /// name. SQLite numbers a named parameter one past the highest number seen before it in the text, so in a statement
    /// mixing the two, a name written before a <c>?N</c> can share that <c>?N</c>'s slot: write the names last.
    /// </summary>
    public int IndexOf(string name) => raw.sqlite3_bind_parameter_index(_statement, name);

    /// <summary>Binds a value fixed for the statement's life (a run id, a time) when it has that parameter; none is fine.</summary>
    public NativeStatement BindIfPresent(string name, string value) => IndexOf(name) is > 0 and var index ? Bind(index, value) : this;

    public NativeStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    public NativeStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return this;
        }

        if (value.Length == 0)
        {
            // An empty span is pinned as a null pointer, which SQLite binds as NULL, not as ''.
            Check(raw.sqlite3_bind_text(_statement, index, string.Empty));
            return this;
        }

        // Encoded into a reused buffer (SQLite copies the bytes): the string overload allocated an array per value.
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(0, written)));
        return this;
    }

    public NativeStatement Bind(int index, ReadOnlySpan<byte> value)
    {
        // An empty span is pinned as a null pointer, which SQLite binds as NULL: an empty blob is a zero-length one.
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(_statement, index, 0) : raw.sqlite3_bind_blob(_statement, index, value));
        return this;
    }

    public NativeStatement BindNull(int index)
    {
        Check(raw.sqlite3_bind_null(_statement, index));
        return this;
    }

    /// <summary>Runs a statement that returns no rows (or whose rows are not wanted) and resets it; the number of rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }

            Check(rc, raw.SQLITE_DONE);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>The next row; false at the end. The caller resets (<see cref="Reset"/>) when done, also after an early stop.</summary>
    public bool Read()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        Check(rc, raw.SQLITE_DONE);
        return false;
    }

    public void Reset() => raw.sqlite3_reset(_statement);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string GetString(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public ReadOnlySpan<byte> GetBlob(int column) => raw.sqlite3_column_blob(_statement, column);

    public void Dispose() => _statement.Dispose();

    private void Check(int rc, int expected = raw.SQLITE_OK)
    {
        if (rc != expected)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
            throw new SqliteException($"SQLite error {rc}", rc);
        }
    }
}
