using System.Globalization;
using CampaignEtl.Crm.Selections;
using Npgsql;
using NpgsqlTypes;

namespace CampaignEtl.Crm.PostgreSql;

/// <summary>
/// The rules of <c>SelectionSql</c> (the SQLite store) in PostgreSQL's dialect: the union of marketing
/// lists and saved filters, the exclusion CASE in <see cref="ExportExclusion"/> order, the partition
/// test. Keep the two in step: the SQLite-against-PostgreSQL export test compares their files byte for byte.
/// </summary>
internal static class PostgreSqlSelectionSql
{
    /// <summary>The same CASE as SQLite's, with strpos for instr.</summary>
    internal const string ExclusionCase = """
        CASE
            WHEN p.is_converted = 1 THEN 1
            WHEN strpos(p.opt_ins_revoked, @optInTag) > 0 THEN 3
            WHEN strpos(p.opt_ins_granted, @optInTag) = 0 THEN 2
            WHEN p.has_opted_out_of_email = 1 THEN 4
            WHEN p.email_bounced_at IS NOT NULL THEN 5
            ELSE 0
        END
        """;

    /// <summary>How an id is written in the person's derived sets (<c>,501,</c>).</summary>
    internal static string SetTag(long id) => string.Create(CultureInfo.InvariantCulture, $",{id},");

    /// <summary>SQLite's <c>unicode(substr(id, -1))</c> is PostgreSQL's <c>ascii(right(id, 1))</c>: the code point of the last character.</summary>
    internal static string PartitionOf(string idColumn) => $"ascii(right({idColumn}, 1)) % @partitions = @partition";

    /// <summary>The attribute columns of the export's read: each whitelisted field's expression, empty rather than NULL.</summary>
    internal static string AttributeColumns(IEnumerable<string> attributeFields)
    {
        var columns = new System.Text.StringBuilder();
        foreach (var field in attributeFields)
        {
            // Empty, not NULL, as on SQLite: the file writes both the same, and the reader is spared a type check per value.
            columns.Append(", COALESCE(").Append(PersonFields.Expression(field)).Append(", '')");
        }

        return columns.ToString();
    }

    /// <summary>A string literal for statements run outside Npgsql (psql); the only use is set tags made of digits and commas.</summary>
    internal static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    internal static void AddText(NpgsqlCommand command, string name, string? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    internal static async Task<string> BuildWhereAsync(
        NpgsqlConnection connection, NpgsqlCommand target, ExportSelection selection, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        for (var i = 0; i < selection.MarketingLists.Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"ml{i}");
            AddText(target, name, SetTag(await MarketingListIdAsync(connection, selection.MarketingLists[i], cancellationToken)));
            parts.Add($"strpos(p.marketing_lists, @{name}) > 0");
        }

        for (var i = 0; i < selection.SavedFilters.Count; i++)
        {
            parts.Add(await CompileFilterAsync(connection, target, selection.SavedFilters[i], i, cancellationToken));
        }

        return parts.Count == 0 ? "false" : "(" + string.Join(" OR ", parts) + ")";
    }

    private static async Task<long> MarketingListIdAsync(NpgsqlConnection connection, string listName, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM marketing_list WHERE name = @name";
        AddText(command, "name", listName);
        return await command.ExecuteScalarAsync(cancellationToken) is long id
            ? id
            : throw new ArgumentException($"Marketing list '{listName}' does not exist in the CRM.", nameof(listName));
    }

    private static async Task<string> CompileFilterAsync(
        NpgsqlConnection connection, NpgsqlCommand target, string filterName, int filterIndex, CancellationToken cancellationToken)
    {
        // Read whole (a filter has a handful of conditions) before adding parameters: one open reader per connection.
        var rows = new List<(string Types, string? Field, string? Op, string? Value)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT f.entity_types, c.field, c.operator, c.value
                FROM saved_filter f LEFT JOIN saved_filter_condition c ON c.filter_id = f.id
                WHERE f.name = @name ORDER BY c.position
                """;
            AddText(command, "name", filterName);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }

        if (rows.Count == 0)
        {
            throw new ArgumentException($"Saved filter '{filterName}' does not exist in the CRM.", nameof(filterName));
        }

        var types = rows[0].Types.Split(',');
        var clauses = new List<string> { "p.entity_type IN (" + string.Join(", ", types.Select(t => t == "lead" ? "'lead'" : "'contact'")) + ")" };
        var position = 0;
        foreach (var (_, field, op, value) in rows)
        {
            if (field is null)
            {
                continue;
            }

            var prefix = string.Create(CultureInfo.InvariantCulture, $"f{filterIndex}c{position++}");
            clauses.Add(Condition(target, prefix, field, op!, value));
        }

        return "(" + string.Join(" AND ", clauses) + ")";
    }

    private static string Condition(NpgsqlCommand target, string parameter, string field, string op, string? value)
    {
        var expression = PersonFields.Expression(field);
        switch (op)
        {
            case "is_null":
                return $"({expression} IS NULL OR {expression} = '')";
            case "is_not_null":
                return $"({expression} IS NOT NULL AND {expression} <> '')";
            case "in":
                var values = (value ?? string.Empty).Split('|');
                var names = new List<string>();
                for (var i = 0; i < values.Length; i++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"{parameter}_{i}");
                    AddText(target, name, values[i]);
                    names.Add("@" + name);
                }

                return $"{expression} IN ({string.Join(", ", names)})";
        }

        AddText(target, parameter, op switch
        {
            "starts_with" => EscapeLike(value) + "%",
            "ends_with" => "%" + EscapeLike(value),
            "contains" => "%" + EscapeLike(value) + "%",
            _ => value,
        });
        return op switch
        {
            "eq" => $"{expression} = @{parameter}",
            "ne" => $"({expression} IS NULL OR {expression} <> @{parameter})",
            "gte" => $"{expression} >= @{parameter}",
            "lte" => $"{expression} <= @{parameter}",
            // SQLite's LIKE ignores the case of ASCII letters; ILIKE is PostgreSQL's nearest (it folds all letters).
            "starts_with" or "ends_with" or "contains" => $"{expression} ILIKE @{parameter} ESCAPE '\\'",
            _ => throw new ArgumentException($"Saved filter operator '{op}' is not supported.", nameof(op)),
        };
    }

    private static string EscapeLike(string? value) =>
        (value ?? string.Empty).Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
