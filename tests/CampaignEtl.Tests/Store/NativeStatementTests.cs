using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Tests.Store;

/// <summary>The positional statement on a connection's native handle, on an in-memory SQLite database.</summary>
public sealed class NativeStatementTests
{
    [Fact]
    public async Task Bind_EveryKindOfValue_StoredAsGiven()
    {
        await using var connection = await OpenAsync("CREATE TABLE t (a TEXT, b INTEGER, c BLOB, d TEXT, e TEXT, f BLOB, g TEXT)");
        using var insert = new NativeStatement(connection, "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

        var changed = insert.Bind(1, "Zoë Łukasz €").Bind(2, 42L).Bind(3, [1, 2, 255]).Bind(4, string.Empty).Bind(5, (string?)null)
            .Bind(6, ReadOnlySpan<byte>.Empty).Bind(7, 7L).Execute();

        changed.ShouldBe(1);
        // An empty string stays '' and an empty blob a zero-length blob (an empty span is a null pointer to SQLite);
        // a number bound to a TEXT column is stored as its text.
        (await ScalarAsync(connection, "SELECT a || '|' || b || '|' || hex(c) || '|' || typeof(d) || length(d) || '|' || typeof(e) || '|' || typeof(f) || length(f) || '|' || typeof(g) || g FROM t"))
            .ShouldBe("Zoë Łukasz €|42|0102FF|text0|null|blob0|text7");
    }

    [Fact]
    public async Task Read_Rows_EachOnceThenFalseAndAgainAfterReset()
    {
        await using var connection = await OpenAsync("CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, 'c');");
        using var query = new NativeStatement(connection, "SELECT id, name FROM t WHERE id >= $from ORDER BY id");

        for (var pass = 0; pass < 2; pass++)
        {
            var rows = new List<string>();
            query.Bind(query.IndexOf("$from"), 2L);
            while (query.Read())
            {
                rows.Add(query.GetInt64(0) + ":" + (query.IsNull(1) ? "null" : query.GetString(1)));
            }

            query.Reset();
            rows.ShouldBe(["2:null", "3:c"]);
        }
    }

    [Fact]
    public async Task Execute_ConstraintBroken_SqliteExceptionAndTheStatementUsableAgain()
    {
        await using var connection = await OpenAsync("CREATE TABLE t (id INTEGER PRIMARY KEY)");
        using var insert = new NativeStatement(connection, "INSERT INTO t (id) VALUES (?1)");
        insert.Bind(1, 1L).Execute();

        var error = Should.Throw<SqliteException>(() => insert.Bind(1, 1L).Execute());

        error.SqliteErrorCode.ShouldBe(19);
        error.Message.ShouldContain("UNIQUE");
        insert.Bind(1, 2L).Execute().ShouldBe(1);
        (await ScalarAsync(connection, "SELECT group_concat(id) FROM t")).ShouldBe("1,2");
    }

    [Fact]
    public async Task Constructor_BadSql_SqliteExceptionNamingTheProblem()
    {
        await using var connection = await OpenAsync("CREATE TABLE t (id INTEGER)");

        Should.Throw<SqliteException>(() => new NativeStatement(connection, "SELECT nope FROM t")).Message.ShouldContain("nope");
    }

    [Fact]
    public async Task IndexOf_UnknownName_Zero()
    {
        await using var connection = await OpenAsync("CREATE TABLE t (id INTEGER)");
        using var query = new NativeStatement(connection, "SELECT id FROM t WHERE id = $id");

        query.IndexOf("$id").ShouldBe(1);
        query.IndexOf("$other").ShouldBe(0);
    }

    private static async Task<SqliteConnection> OpenAsync(string schema)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var create = connection.CreateCommand();
        create.CommandText = schema;
        await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))?.ToString();
    }
}
