using CampaignEtl.Crm.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Feedback;

/// <summary>
/// Writes what the platform knows and the CRM did not (addAll3 codes 2, 3, 4) into the CRM, one
/// transaction per batch, each change with its lineage on the row and a <c>change_lineage</c> entry.
/// Idempotent: a fact the CRM already holds (consent revoked, address on the blocklist, email bounced)
/// is left alone and gets no lineage entry, so feeding the same codes twice changes nothing.
/// </summary>
public sealed class PlatformFeedbackWriter(CrmDatabase database, TimeProvider time)
{
    public const string ChangedBy = "platform-refill";
    public const string BounceReason = "platform bounce limit";

    public async Task<FeedbackOutcome> ApplyAsync(IReadOnlyList<PlatformFeedback> batch, FeedbackSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(source);
        if (batch.Count == 0)
        {
            return new FeedbackOutcome(0, 0, 0);
        }

        var now = CrmTime.Format(time.GetUtcNow());
        int changed = 0, unchanged = 0, unknown = 0;
        await using var connection = await database.OpenAsync(readOnly: false, cancellationToken);
        try
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            foreach (var item in batch)
            {
                var result = item.Kind switch
                {
                    PlatformFeedbackKind.Unsubscribed => await RevokeConsentAsync(transaction, item, source, now, cancellationToken),
                    PlatformFeedbackKind.Blocklisted => await BlocklistAsync(transaction, item, source, now, cancellationToken),
                    PlatformFeedbackKind.BounceLimit => await MarkBouncedAsync(transaction, item, source, now, cancellationToken),
                    _ => throw new ArgumentOutOfRangeException(nameof(batch), item.Kind, "not a feedback code"),
                };
                switch (result)
                {
                    case Result.Changed:
                        changed++;
                        break;
                    case Result.Unchanged:
                        unchanged++;
                        break;
                    default:
                        unknown++;
                        break;
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (SqliteException ex)
        {
            throw database.Translate(ex);
        }

        return new FeedbackOutcome(changed, unchanged, unknown);
    }

    private enum Result
    {
        Changed,
        Unchanged,
        UnknownPerson,
    }

    private static async Task<Result> RevokeConsentAsync(SqliteTransaction transaction, PlatformFeedback item, FeedbackSource source, string now, CancellationToken cancellationToken)
    {
        if (!await PersonExistsAsync(transaction, item.RecipientId, cancellationToken))
        {
            return Result.UnknownPerson;
        }

        // Insert the revocation, or turn a granted consent into a revoked one; an already revoked one stays as it is.
        var rows = await ExecuteAsync(transaction, """
            INSERT INTO consent (person_id, opt_in_id, status, changed_at, changed_by, lineage_run_id, lineage_file, lineage_line)
            VALUES ($person, $optin, 'revoked', $now, $by, $run, $file, $line)
            ON CONFLICT (person_id, opt_in_id) DO UPDATE SET
                status = 'revoked', changed_at = excluded.changed_at, changed_by = excluded.changed_by,
                lineage_run_id = excluded.lineage_run_id, lineage_file = excluded.lineage_file, lineage_line = excluded.lineage_line
            WHERE consent.status <> 'revoked'
            """,
            cancellationToken,
            ("$person", item.RecipientId), ("$optin", item.OptInId), ("$now", now), ("$by", ChangedBy),
            ("$run", source.RunId), ("$file", source.ArchiveFile), ("$line", item.Line));
        if (rows == 0)
        {
            return Result.Unchanged;
        }

        await LineageAsync(transaction, now, "consent", item.RecipientId + ":" + item.OptInId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "revoked: platform answered 'unsubscribed' (code 2) on refill", item, source, cancellationToken);
        return Result.Changed;
    }

    private static async Task<Result> BlocklistAsync(SqliteTransaction transaction, PlatformFeedback item, FeedbackSource source, string now, CancellationToken cancellationToken)
    {
        // The CRM's blocklist matches case-insensitively on the trimmed address; store it in that form.
        var pattern = item.Email.Trim().ToLowerInvariant();
        if (pattern.Length == 0)
        {
            return Result.Unchanged;
        }

        var rows = await ExecuteAsync(transaction, """
            INSERT INTO blocklist_entry (pattern, reason, added_at, source, lineage_run_id, lineage_file, lineage_line)
            VALUES ($pattern, $reason, $now, $source, $run, $file, $line)
            ON CONFLICT (pattern) DO NOTHING
            """,
            cancellationToken,
            ("$pattern", pattern), ("$reason", "blocklisted on the platform (refill code 3)"), ("$now", now), ("$source", ChangedBy),
            ("$run", source.RunId), ("$file", source.ArchiveFile), ("$line", item.Line));
        if (rows == 0)
        {
            return Result.Unchanged;
        }

        // The key is the recipient id, not the address: change_lineage is read by people and must not spread addresses.
        await LineageAsync(transaction, now, "blocklist_entry", item.RecipientId,
            "added: platform answered 'blacklisted' (code 3) on refill", item, source, cancellationToken);
        return Result.Changed;
    }

    private static async Task<Result> MarkBouncedAsync(SqliteTransaction transaction, PlatformFeedback item, FeedbackSource source, string now, CancellationToken cancellationToken)
    {
        if (!await PersonExistsAsync(transaction, item.RecipientId, cancellationToken))
        {
            return Result.UnknownPerson;
        }

        var rows = await ExecuteAsync(transaction, """
            UPDATE person SET email_bounced_at = $now, email_bounced_reason = $reason, updated_at = $now,
                   lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE id = $person AND email_bounced_at IS NULL
            """,
            cancellationToken,
            ("$person", item.RecipientId), ("$now", now), ("$reason", BounceReason),
            ("$run", source.RunId), ("$file", source.ArchiveFile), ("$line", item.Line));
        if (rows == 0)
        {
            return Result.Unchanged;
        }

        await LineageAsync(transaction, now, "person", item.RecipientId,
            "email bounced: platform answered 'bounce overflow' (code 4) on refill", item, source, cancellationToken);
        return Result.Changed;
    }

    private static async Task<bool> PersonExistsAsync(SqliteTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT 1 FROM person WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static Task<int> LineageAsync(
        SqliteTransaction transaction, string now, string entity, string key, string change, PlatformFeedback item, FeedbackSource source, CancellationToken cancellationToken) =>
        ExecuteAsync(transaction,
            "INSERT INTO change_lineage (changed_at, entity, entity_key, change, run_id, archive_file, line) VALUES ($now, $entity, $key, $change, $run, $file, $line)",
            cancellationToken,
            ("$now", now), ("$entity", entity), ("$key", key), ("$change", change), ("$run", source.RunId), ("$file", source.ArchiveFile), ("$line", item.Line));

    private static async Task<int> ExecuteAsync(SqliteTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
