using System.Runtime.CompilerServices;
using CampaignEtl.Crm.Selections;
using Npgsql;
using NpgsqlTypes;

namespace CampaignEtl.Crm.PostgreSql;

/// <summary>
/// The export's reads from the CRM store on PostgreSQL, with the semantics of <see cref="CrmExportReader"/>:
/// the same selection rules, exclusion order, id order (bytewise) and partitions, so the export files are
/// the same whichever store they came from. One statement per partition, streamed.
/// </summary>
public sealed class PostgreSqlExportSource(PostgreSqlCrm crm) : ICrmExportSource
{
    public PostgreSqlCrm Crm { get; } = crm;

    public async Task<IReadOnlyList<string>> FindUnknownAsync(
        IEnumerable<(string Key, ExportSelection Selection, long OptInId)> lists, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lists);
        await using var connection = await Crm.OpenAsync(cancellationToken);
        var problems = new List<string>();
        try
        {
            foreach (var (key, selection, optInId) in lists)
            {
                for (var i = 0; i < selection.MarketingLists.Count; i++)
                {
                    if (!await ExistsAsync(connection, "SELECT 1 FROM marketing_list WHERE name = @v", selection.MarketingLists[i], cancellationToken))
                    {
                        problems.Add($"{key}:Selection:MarketingLists:{i}: marketing list '{selection.MarketingLists[i]}' does not exist in the CRM");
                    }
                }

                for (var i = 0; i < selection.SavedFilters.Count; i++)
                {
                    if (!await ExistsAsync(connection, "SELECT 1 FROM saved_filter WHERE name = @v", selection.SavedFilters[i], cancellationToken))
                    {
                        problems.Add($"{key}:Selection:SavedFilters:{i}: saved filter '{selection.SavedFilters[i]}' does not exist in the CRM");
                    }
                }

                if (!await ExistsAsync(connection, "SELECT 1 FROM opt_in WHERE id = @v", optInId, cancellationToken))
                {
                    problems.Add($"{key}:OptInId: opt-in {optInId} does not exist in the CRM");
                }
            }
        }
        catch (NpgsqlException ex)
        {
            throw Crm.Translate(ex);
        }

        return problems;
    }

    public async Task<Blocklist> LoadBlocklistAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Crm.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT pattern FROM blocklist_entry";
        var patterns = new List<string>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                patterns.Add(reader.GetString(0));
            }
        }
        catch (NpgsqlException ex)
        {
            throw Crm.Translate(ex);
        }

        return new Blocklist(patterns);
    }

    public async IAsyncEnumerable<ExportCandidate[]> ReadBatchesAsync(
        ExportSelection selection,
        long optInId,
        IReadOnlyList<string> attributeFields,
        int partition,
        int partitions,
        int batchSize,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(attributeFields);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, partitions);
        await using var connection = await Crm.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        NpgsqlDataReader reader;
        try
        {
            PostgreSqlSelectionSql.AddText(command, "optInTag", PostgreSqlSelectionSql.SetTag(optInId));
            var where = await PostgreSqlSelectionSql.BuildWhereAsync(connection, command, selection, cancellationToken);
            if (partitions > 1)
            {
                command.Parameters.Add(new NpgsqlParameter("partition", NpgsqlDbType.Integer) { Value = partition });
                command.Parameters.Add(new NpgsqlParameter("partitions", NpgsqlDbType.Integer) { Value = partitions });
                where = PostgreSqlSelectionSql.PartitionOf("p.id") + " AND " + where;
            }

            var columns = PostgreSqlSelectionSql.AttributeColumns(attributeFields);
            command.CommandText = $"""
                SELECT p.id, p.entity_type, p.email, p.email_normalized, {PostgreSqlSelectionSql.ExclusionCase}{columns}
                FROM person p
                WHERE {where}
                ORDER BY p.id
                """;
            reader = await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw Crm.Translate(ex);
        }

        await using (reader)
        {
            var attributeCount = attributeFields.Count;
            var more = true;
            while (more)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<ExportCandidate>(batchSize);
                while (batch.Count < batchSize && (more = await ReadNextAsync(reader, cancellationToken)))
                {
                    batch.Add(ExportCandidate.Read(reader, attributeCount));
                }

                if (batch.Count > 0)
                {
                    yield return [.. batch];
                }
            }
        }
    }

    private async Task<bool> ReadNextAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw Crm.Translate(ex);
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, object value, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add(value is long id
            ? new NpgsqlParameter("v", NpgsqlDbType.Bigint) { Value = id }
            : new NpgsqlParameter("v", NpgsqlDbType.Text) { Value = value });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
