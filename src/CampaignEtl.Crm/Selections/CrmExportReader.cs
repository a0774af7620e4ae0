using System.Runtime.CompilerServices;
using System.Text;
using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Selections;

/// <summary>Reads recipient-list selections out of the CRM, streaming, one person at a time.</summary>
public sealed class CrmExportReader(CrmDatabase database) : ICrmExportSource
{
    public CrmDatabase Database { get; } = database;

    public Task<Blocklist> LoadBlocklistAsync(CancellationToken cancellationToken) => Blocklist.LoadAsync(Database, cancellationToken);

    /// <summary>Names every marketing list, saved filter and opt-in of the given selections that the CRM lacks.</summary>
    public async Task<IReadOnlyList<string>> FindUnknownAsync(
        IEnumerable<(string Key, ExportSelection Selection, long OptInId)> lists, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(readOnly: true, cancellationToken);
        var problems = new List<string>();
        foreach (var (key, selection, optInId) in lists)
        {
            for (var i = 0; i < selection.MarketingLists.Count; i++)
            {
                if (!await ExistsAsync(connection, "SELECT 1 FROM marketing_list WHERE name = $v", selection.MarketingLists[i], cancellationToken))
                {
                    problems.Add($"{key}:Selection:MarketingLists:{i}: marketing list '{selection.MarketingLists[i]}' does not exist in the CRM");
                }
            }

            for (var i = 0; i < selection.SavedFilters.Count; i++)
            {
                if (!await ExistsAsync(connection, "SELECT 1 FROM saved_filter WHERE name = $v", selection.SavedFilters[i], cancellationToken))
                {
                    problems.Add($"{key}:Selection:SavedFilters:{i}: saved filter '{selection.SavedFilters[i]}' does not exist in the CRM");
                }
            }

            if (!await ExistsAsync(connection, "SELECT 1 FROM opt_in WHERE id = $v", optInId, cancellationToken))
            {
                problems.Add($"{key}:OptInId: opt-in {optInId} does not exist in the CRM");
            }
        }

        return problems;
    }

    /// <summary>
    /// Every person of one partition of the selection, in batches, once each (the selection is a set, so a person
    /// in two of its marketing lists comes once), with the first export rule that excludes them,
    /// ordered by recipient id. Partition <paramref name="partition"/> of <paramref name="partitions"/>
    /// holds the people whose id ends in a character whose code is that partition modulo the count,
    /// so the partitions are disjoint, cover the selection, and can be read at the same time on their
    /// own connections and merged back in id order. The read is one pass over one table: the person
    /// table is clustered by id (so the order costs nothing) and carries the account name, consents and
    /// list memberships it needs as trigger-kept derived columns (schemas/crm.sqlite.sql).
    /// </summary>
    public async IAsyncEnumerable<ExportCandidate[]> ReadBatchesAsync(
        ExportSelection selection,
        long optInId,
        IReadOnlyList<string> attributeFields,
        int partition,
        int partitions,
        int batchSize,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, partitions);
        await using var connection = await Database.OpenAsync(readOnly: true, cancellationToken);
        await using var command = connection.CreateCommand();
        command.Parameters.AddWithValue("$optInTag", SelectionSql.SetTag(optInId));
        var where = await SelectionSql.BuildWhereAsync(connection, command, selection, cancellationToken);
        if (partitions > 1)
        {
            command.Parameters.AddWithValue("$partition", partition);
            command.Parameters.AddWithValue("$partitions", partitions);
            where = SelectionSql.PartitionOf("p.id") + " AND " + where;
        }

        var columns = new StringBuilder();
        foreach (var field in attributeFields)
        {
            // Empty, not NULL: the file writes both the same, and the reader is spared a type check per value.
            columns.Append(", ifnull(").Append(PersonFields.Expression(field)).Append(", '')");
        }

        command.CommandText = $"""
            SELECT p.id, p.entity_type, p.email, p.email_normalized, {SelectionSql.ExclusionCase}{columns}
            FROM person p
            WHERE {where}
            ORDER BY p.id
            """;
        SqliteDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (SqliteException ex)
        {
            throw Database.Translate(ex);
        }

        await using (reader)
        {
            // SQLite reads synchronously anyway: one await per batch, not per row.
            var attributeCount = attributeFields.Count;
            var more = true;
            while (more)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<ExportCandidate>(batchSize);
                while (batch.Count < batchSize && (more = ReadNext(reader)))
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

    private bool ReadNext(SqliteDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (SqliteException ex)
        {
            throw Database.Translate(ex);
        }
    }

    private static async Task<bool> ExistsAsync(SqliteConnection connection, string sql, object value, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$v", value);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
