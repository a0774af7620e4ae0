using CampaignEtl.Crm.Responses;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Tests.Responses;

/// <summary>The writer's buffered multi-row insert, on an in-memory SQLite database.</summary>
public sealed class BufferedInsertTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(21)]
    public async Task Flush_AnyNumberOfRows_EveryRowWrittenOnceInOrderWithConstants(int rows)
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c BLOB, run TEXT)";
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var insert = new BufferedInsert(connection, "t", ["a", "b", "c"], [("run", "run-1")]);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        insert.Enlist(tx);
        for (var i = 0; i < rows; i++)
        {
            insert.Add("row" + i, (long)i, new byte[] { (byte)i });
        }

        insert.Count.ShouldBe(rows);
        insert.Flush();
        insert.Count.ShouldBe(0);
        await tx.CommitAsync(TestContext.Current.CancellationToken);
        insert.Enlist(null);

        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT a, b, hex(c), run FROM t ORDER BY id";
        await using var reader = await query.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var read = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            read.Add($"{reader.GetString(0)}|{reader.GetInt64(1)}|{reader.GetString(2)}|{reader.GetString(3)}");
        }

        read.ShouldBe(Enumerable.Range(0, rows).Select(i => $"row{i}|{i}|{i:X2}|run-1"));
    }

    [Fact]
    public async Task Clear_RowsNotFlushed_NothingWritten()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t (a TEXT, b INTEGER, c TEXT)";
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var insert = new BufferedInsert(connection, "t", ["a", "b", "c"], []);
        insert.Add("x", 1L, "y");
        insert.Clear();
        insert.Flush();

        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM t";
        (await count.ExecuteScalarAsync(TestContext.Current.CancellationToken)).ShouldBe(0L);
    }
}
