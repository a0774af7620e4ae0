using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Selections;

/// <summary>
/// Compiles an <see cref="ExportSelection"/> (marketing lists and structured saved filters) into a
/// parameterised WHERE clause over <c>person p</c>. The export rules live here once, as one SQL CASE,
/// so the export and the duplicate-email report cannot drift apart.
/// </summary>
internal static class SelectionSql
{
    /// <summary>
    /// Tested in <see cref="ExportExclusion"/> order; the first rule that matches names the exclusion.
    /// Consents come from the person's derived sets (schema: one consent per person and opt-in, so
    /// an opt-in is in at most one of them). The last rule, the blocklist, is matched in .NET
    /// (<see cref="Blocklist"/>): its wildcard patterns would cost SQLite a scan of the blocklist per person.
    /// </summary>
    internal const string ExclusionCase = """
        CASE
            WHEN p.is_converted = 1 THEN 1
            WHEN instr(p.opt_ins_revoked, $optInTag) > 0 THEN 3
            WHEN instr(p.opt_ins_granted, $optInTag) = 0 THEN 2
            WHEN p.has_opted_out_of_email = 1 THEN 4
            WHEN p.email_bounced_at IS NOT NULL THEN 5
            ELSE 0
        END
        """;

    /// <summary>How an id is written in the person's derived sets (<c>,501,</c>).</summary>
    internal static string SetTag(long id) => string.Create(CultureInfo.InvariantCulture, $",{id},");

    /// <summary>
    /// The partition test of a parallel read over the id column <paramref name="idColumn"/>: the code of
    /// the id's last character modulo <c>$partitions</c> equals <c>$partition</c>.
    /// </summary>
    internal static string PartitionOf(string idColumn) => $"unicode(substr({idColumn}, -1)) % $partitions = $partition";

    internal static async Task<string> BuildWhereAsync(
        SqliteConnection connection, SqliteCommand target, ExportSelection selection, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        for (var i = 0; i < selection.MarketingLists.Count; i++)
        {
            var name = $"$ml{i}";
            target.Parameters.AddWithValue(name, SetTag(await MarketingListIdAsync(connection, selection.MarketingLists[i], cancellationToken)));
            parts.Add($"instr(p.marketing_lists, {name}) > 0");
        }

        for (var i = 0; i < selection.SavedFilters.Count; i++)
        {
            parts.Add(await CompileFilterAsync(connection, target, selection.SavedFilters[i], i, cancellationToken));
        }

        return parts.Count == 0 ? "0" : "(" + string.Join(" OR ", parts) + ")";
    }

    private static async Task<long> MarketingListIdAsync(SqliteConnection connection, string listName, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM marketing_list WHERE name = $name";
        command.Parameters.AddWithValue("$name", listName);
        return await command.ExecuteScalarAsync(cancellationToken) is long id
            ? id
            : throw new ArgumentException($"Marketing list '{listName}' does not exist in the CRM.", nameof(listName));
    }

    private static async Task<string> CompileFilterAsync(
        SqliteConnection connection, SqliteCommand target, string filterName, int filterIndex, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT f.entity_types, c.field, c.operator, c.value
            FROM saved_filter f LEFT JOIN saved_filter_condition c ON c.filter_id = f.id
            WHERE f.name = $name ORDER BY c.position
            """;
        command.Parameters.AddWithValue("$name", filterName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var clauses = new List<string>();
        var found = false;
        var position = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!found)
            {
                found = true;
                var types = reader.GetString(0).Split(',');
                clauses.Add("p.entity_type IN (" + string.Join(", ", types.Select(t => t == "lead" ? "'lead'" : "'contact'")) + ")");
            }

            if (reader.IsDBNull(1))
            {
                continue;
            }

            var prefix = string.Create(CultureInfo.InvariantCulture, $"$f{filterIndex}c{position++}");
            clauses.Add(Condition(target, prefix, reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        if (!found)
        {
            throw new ArgumentException($"Saved filter '{filterName}' does not exist in the CRM.", nameof(filterName));
        }

        return "(" + string.Join(" AND ", clauses) + ")";
    }

    private static string Condition(SqliteCommand target, string parameter, string field, string op, string? value)
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
                    var name = $"{parameter}_{i}";
                    target.Parameters.AddWithValue(name, values[i]);
                    names.Add(name);
                }

                return $"{expression} IN ({string.Join(", ", names)})";
        }

        target.Parameters.AddWithValue(parameter, op switch
        {
            "starts_with" => EscapeLike(value) + "%",
            "ends_with" => "%" + EscapeLike(value),
            "contains" => "%" + EscapeLike(value) + "%",
            _ => (object?)value ?? DBNull.Value,
        });
        return op switch
        {
            "eq" => $"{expression} = {parameter}",
            "ne" => $"({expression} IS NULL OR {expression} <> {parameter})",
            "gte" => $"{expression} >= {parameter}",
            "lte" => $"{expression} <= {parameter}",
            "starts_with" or "ends_with" or "contains" => $"{expression} LIKE {parameter} ESCAPE '\\'",
            _ => throw new ArgumentException($"Saved filter operator '{op}' is not supported.", nameof(op)),
        };
    }

    private static string EscapeLike(string? value) =>
        (value ?? string.Empty).Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
