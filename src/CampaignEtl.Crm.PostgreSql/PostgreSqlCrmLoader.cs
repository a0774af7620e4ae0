using System.Globalization;
using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace CampaignEtl.Crm.PostgreSql;

/// <summary>
/// Copies what the export reads of a SQLite CRM into PostgreSQL: each table streamed row by row from a
/// SQLite reader into a binary COPY, in one transaction, so memory does not grow with the number of
/// people. The target tables are emptied first. People come with their derived columns (account name,
/// consents, lists) as SQLite's triggers computed them, so PostgreSQL's own triggers are off for the copy.
/// </summary>
public sealed class PostgreSqlCrmLoader(PostgreSqlCrm target)
{
    private enum Kind
    {
        Text,
        Bigint,
        Integer,
    }

    // In foreign-key order. person.email_normalized is generated on both sides, so it is not copied.
    private static readonly (string Table, (string Name, Kind Kind)[] Columns)[] Tables =
    [
        ("opt_in", [("id", Kind.Bigint), ("name", Kind.Text), ("kind", Kind.Text), ("description", Kind.Text)]),
        ("marketing_list", [("id", Kind.Bigint), ("name", Kind.Text), ("description", Kind.Text)]),
        ("saved_filter", [("id", Kind.Bigint), ("name", Kind.Text), ("entity_types", Kind.Text), ("description", Kind.Text)]),
        ("saved_filter_condition", [("filter_id", Kind.Bigint), ("position", Kind.Integer), ("field", Kind.Text), ("operator", Kind.Text), ("value", Kind.Text)]),
        ("blocklist_entry", [("pattern", Kind.Text), ("reason", Kind.Text), ("added_at", Kind.Text), ("source", Kind.Text),
            ("lineage_run_id", Kind.Text), ("lineage_file", Kind.Text), ("lineage_line", Kind.Bigint)]),
        ("account", [("id", Kind.Text), ("name", Kind.Text), ("industry", Kind.Text), ("country", Kind.Text), ("created_at", Kind.Text)]),
        ("person", [("id", Kind.Text), ("entity_type", Kind.Text), ("account_id", Kind.Text), ("company", Kind.Text), ("salutation", Kind.Text),
            ("first_name", Kind.Text), ("last_name", Kind.Text), ("email", Kind.Text), ("title", Kind.Text), ("city", Kind.Text),
            ("country", Kind.Text), ("language", Kind.Text), ("has_opted_out_of_email", Kind.Integer), ("opted_out_at", Kind.Text),
            ("email_bounced_at", Kind.Text), ("email_bounced_reason", Kind.Text), ("soft_bounce_count", Kind.Integer),
            ("is_converted", Kind.Integer), ("converted_contact_id", Kind.Text), ("converted_at", Kind.Text), ("created_at", Kind.Text),
            ("updated_at", Kind.Text), ("lineage_run_id", Kind.Text), ("lineage_file", Kind.Text), ("lineage_line", Kind.Bigint),
            ("account_name", Kind.Text), ("opt_ins_granted", Kind.Text), ("opt_ins_revoked", Kind.Text), ("marketing_lists", Kind.Text)]),
        ("consent", [("person_id", Kind.Text), ("opt_in_id", Kind.Bigint), ("status", Kind.Text), ("changed_at", Kind.Text), ("changed_by", Kind.Text),
            ("lineage_run_id", Kind.Text), ("lineage_file", Kind.Text), ("lineage_line", Kind.Bigint)]),
        ("marketing_list_member", [("list_id", Kind.Bigint), ("person_id", Kind.Text), ("added_at", Kind.Text)]),
    ];

    /// <summary>The tables copied, in order.</summary>
    public static IReadOnlyList<string> TableNames { get; } = [.. Tables.Select(t => t.Table)];

    /// <summary>Empties the PostgreSQL CRM and copies <paramref name="source"/> into it; returns the rows copied per table.</summary>
    public async Task<IReadOnlyDictionary<string, long>> LoadAsync(CrmDatabase source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await target.CreateSchemaAsync(cancellationToken);
        await using var sqlite = await source.OpenAsync(readOnly: true, cancellationToken);
        await using var pg = await target.OpenAsync(cancellationToken);
        var copied = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await using var transaction = await pg.BeginTransactionAsync(cancellationToken);
            var all = string.Join(", ", TableNames);
            await ExecAsync(pg, $"TRUNCATE {all}", cancellationToken);
            foreach (var (table, _) in Tables)
            {
                await ExecAsync(pg, $"ALTER TABLE {table} DISABLE TRIGGER USER", cancellationToken);
            }

            // Checked row by row, the foreign keys cost more than the copy itself; added back afterwards,
            // each is validated in one pass over the loaded tables. Secondary indexes likewise are built
            // once at the end rather than maintained row by row.
            var foreignKeys = await DropForeignKeysAsync(pg, cancellationToken);
            var indexes = await DropSecondaryIndexesAsync(pg, cancellationToken);

            foreach (var (table, columns) in Tables)
            {
                copied[table] = await CopyTableAsync(sqlite, pg, table, columns, cancellationToken);
            }

            foreach (var definition in indexes)
            {
                await ExecAsync(pg, definition, cancellationToken);
            }

            foreach (var (table, name, definition) in foreignKeys)
            {
                await ExecAsync(pg, $"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}", cancellationToken);
            }

            foreach (var (table, _) in Tables)
            {
                await ExecAsync(pg, $"ALTER TABLE {table} ENABLE TRIGGER USER", cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);

            // Fresh statistics, so the planner knows the selection's size on the first export.
            await ExecAsync(pg, "ANALYZE " + all, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw target.Translate(ex);
        }

        return copied;
    }

    private static async Task<long> CopyTableAsync(
        SqliteConnection sqlite, NpgsqlConnection pg, string table, (string Name, Kind Kind)[] columns, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", columns.Select(c => c.Name));
        await using var select = sqlite.CreateCommand();
        select.CommandText = $"SELECT {names} FROM {table}";
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        long read = 0;
        ulong written;
        await using (var import = await pg.BeginBinaryImportAsync($"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            // SQLite reads synchronously and the importer buffers: the row loop stays synchronous, one check per 64k rows.
            while (reader.Read())
            {
                if ((++read & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                import.StartRow();
                for (var i = 0; i < columns.Length; i++)
                {
                    if (reader.IsDBNull(i))
                    {
                        import.WriteNull();
                        continue;
                    }

                    switch (columns[i].Kind)
                    {
                        case Kind.Text:
                            import.Write(reader.GetString(i), NpgsqlDbType.Text);
                            break;
                        case Kind.Bigint:
                            import.Write(reader.GetInt64(i), NpgsqlDbType.Bigint);
                            break;
                        default:
                            import.Write(reader.GetInt32(i), NpgsqlDbType.Integer);
                            break;
                    }
                }
            }

            written = await import.CompleteAsync(cancellationToken);
        }

        if (written != (ulong)read)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Copying {table} to PostgreSQL: read {read} rows from SQLite but PostgreSQL took {written}."));
        }

        return read;
    }

    /// <summary>Drops the foreign keys of the copied tables; returns them (table, quoted name, definition) to be added back.</summary>
    private static async Task<List<(string Table, string Name, string Definition)>> DropForeignKeysAsync(NpgsqlConnection pg, CancellationToken cancellationToken)
    {
        var foreignKeys = new List<(string Table, string Name, string Definition)>();
        await using (var command = pg.CreateCommand())
        {
            command.CommandText = """
                SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(@tables)
                ORDER BY c.conname
                """;
            command.Parameters.AddWithValue("tables", TableNames.ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                foreignKeys.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        foreach (var (table, name, _) in foreignKeys)
        {
            await ExecAsync(pg, $"ALTER TABLE {table} DROP CONSTRAINT {name}", cancellationToken);
        }

        return foreignKeys;
    }

    /// <summary>Drops the indexes of the copied tables that back no constraint; returns their CREATE INDEX statements.</summary>
    private static async Task<List<string>> DropSecondaryIndexesAsync(NpgsqlConnection pg, CancellationToken cancellationToken)
    {
        var indexes = new List<(string Name, string Definition)>();
        await using (var command = pg.CreateCommand())
        {
            command.CommandText = """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid::regclass::text = ANY(@tables)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """;
            command.Parameters.AddWithValue("tables", TableNames.ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (name, _) in indexes)
        {
            await ExecAsync(pg, $"DROP INDEX {name}", cancellationToken);
        }

        return [.. indexes.Select(i => i.Definition)];
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
