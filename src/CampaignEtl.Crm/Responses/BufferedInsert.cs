using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Responses;

/// <summary>
/// Rows of one append-only INSERT (lineage, the event ledger) kept until the end of a batch and written then, many
/// rows per statement: a statement per row was most of the writer's time. Holds at most a batch's rows.
/// </summary>
internal sealed class BufferedInsert : IAsyncDisposable
{
    // Few rows per statement: SQLite finds each named parameter by a linear search of the statement's names, so
    // binding costs grow with the square of the parameters (a profile showed strncmp on top at 100 rows).
    private const int RowsPerStatement = 8;

    private readonly int _columns;
    private readonly SqliteCommand _one;
    private readonly SqliteCommand _many;
    private readonly List<object> _values = [];

    /// <param name="conflict">Appended to each statement, e.g. an <c>ON CONFLICT</c> clause; empty for none.</param>
    public BufferedInsert(SqliteConnection connection, string table, string[] columns, (string Column, object Value)[] constants, string conflict = "")
    {
        _columns = columns.Length;
        _one = Create(connection, table, columns, constants, 1, conflict);
        _many = Create(connection, table, columns, constants, RowsPerStatement, conflict);
    }

    public int Count => _values.Count / _columns;

    /// <summary>Adds a row; the values in the order of the columns given to the constructor.</summary>
    /// <summary>Adds a row of any width (as many values as columns).</summary>
    public void AddRow(params object[] values)
    {
        if (values.Length != _columns)
        {
            throw new ArgumentException($"A row of {_columns} values was expected, not {values.Length}.", nameof(values));
        }

        _values.AddRange(values);
    }

    public void Add(object first, object second)
    {
        _values.Add(first);
        _values.Add(second);
    }

    public void Add(object first, object second, object third)
    {
        _values.Add(first);
        _values.Add(second);
        _values.Add(third);
    }

    public void Add(object first, object second, object third, object fourth, object fifth)
    {
        _values.Add(first);
        _values.Add(second);
        _values.Add(third);
        _values.Add(fourth);
        _values.Add(fifth);
    }

    public void Enlist(SqliteTransaction? tx)
    {
        _one.Transaction = tx;
        _many.Transaction = tx;
    }

    /// <summary>Writes every buffered row in the current transaction and empties the buffer.</summary>
    public void Flush()
    {
        var rows = Count;
        var row = 0;
        for (; row + RowsPerStatement <= rows; row += RowsPerStatement)
        {
            Bind(_many, row, RowsPerStatement);
            _many.ExecuteNonQuery();
        }

        for (; row < rows; row++)
        {
            Bind(_one, row, 1);
            _one.ExecuteNonQuery();
        }

        _values.Clear();
    }

    public void Clear() => _values.Clear();

    public async ValueTask DisposeAsync()
    {
        await _one.DisposeAsync();
        await _many.DisposeAsync();
    }

    private void Bind(SqliteCommand command, int firstRow, int rows)
    {
        var values = rows * _columns;
        var offset = firstRow * _columns;
        for (var i = 0; i < values; i++)
        {
            command.Parameters[i].Value = _values[offset + i];
        }
    }

    private SqliteCommand Create(SqliteConnection connection, string table, string[] columns, (string Column, object Value)[] constants, int rows, string conflict)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns);
        foreach (var (column, _) in constants)
        {
            sql.Append(", ").Append(column);
        }

        sql.Append(") VALUES ");
        var command = connection.CreateCommand();
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < _columns; c++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"$p{(r * _columns) + c}");
                sql.Append(c == 0 ? string.Empty : ", ").Append(name);
                command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
            }

            for (var c = 0; c < constants.Length; c++)
            {
                sql.Append(", $c").Append(c.ToString(CultureInfo.InvariantCulture));
            }

            sql.Append(')');
        }

        for (var c = 0; c < constants.Length; c++)
        {
            command.Parameters.AddWithValue("$c" + c.ToString(CultureInfo.InvariantCulture), constants[c].Value);
        }

        command.CommandText = sql.Append(conflict).ToString();
        return command;
    }
}
