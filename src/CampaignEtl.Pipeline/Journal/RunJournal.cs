using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Pipeline.Journal;

/// <summary>The run journal (SQLite): runs, stage attempts, their files, the manifest chain and the lock holder.</summary>
public sealed class RunJournal
{
    private readonly string _connectionString;

    private RunJournal(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public static async Task<RunJournal> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var journal = new RunJournal(full);
        await using var connection = await journal.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;\n" + LoadSchema() +
            "\nINSERT OR IGNORE INTO schema_info (key, value) VALUES ('schema_version', '1');";
        await command.ExecuteNonQueryAsync(cancellationToken);

        // Journals written before the platform call count existed get the column (default 0), not an error.
        command.CommandText = "SELECT count(*) FROM pragma_table_info('stage_attempt') WHERE name = 'platform_calls'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            command.CommandText = "ALTER TABLE stage_attempt ADD COLUMN platform_calls INTEGER NOT NULL DEFAULT 0";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return journal;
    }

    public async Task CreateRunAsync(RunIdentity run, RunTrigger trigger, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            "INSERT INTO run (run_id, business_date, time_zone, created_at, trigger) VALUES ($id, $date, $tz, $at, $trigger)",
            cancellationToken,
            ("$id", run.RunId), ("$date", CrmTime.FormatDate(run.BusinessDate)), ("$tz", run.TimeZoneId),
            ("$at", CrmTime.Format(run.CreatedAt)), ("$trigger", trigger.ToText()));
    }

    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        var runs = await QueryRunsAsync("WHERE run_id = $id", 1, cancellationToken, ("$id", runId));
        return runs.Count == 0 ? null : runs[0];
    }

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, CancellationToken cancellationToken) =>
        QueryRunsAsync(string.Empty, limit, cancellationToken);

    public async Task<DateTimeOffset?> LastRunCreatedAtAsync(CancellationToken cancellationToken)
    {
        var runs = await QueryRunsAsync(string.Empty, 1, cancellationToken);
        return runs.Count == 0 ? null : DateTimeOffset.Parse(runs[0].CreatedAt, CultureInfo.InvariantCulture);
    }

    /// <summary>Starts the next attempt of a stage (attempt numbers count up per run and stage).</summary>
    public async Task<(long AttemptId, int Attempt)> StartAttemptAsync(
        string runId, StageName stage, DateTimeOffset startedAt, string? overrides, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO stage_attempt (run_id, stage, attempt, status, started_at, overrides)
            VALUES ($run, $stage, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM stage_attempt WHERE run_id = $run AND stage = $stage),
                    'running', $at, $overrides)
            RETURNING id, attempt
            """;
        command.Parameters.AddWithValue("$run", runId);
        command.Parameters.AddWithValue("$stage", stage.ToText());
        command.Parameters.AddWithValue("$at", CrmTime.Format(startedAt));
        command.Parameters.AddWithValue("$overrides", (object?)overrides ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var result = (reader.GetInt64(0), reader.GetInt32(1));
        await reader.CloseAsync();
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public async Task FinishAttemptAsync(
        long attemptId, StageStatus status, StageCounts counts, string? error, DateTimeOffset endedAt, long durationMs, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            """
            UPDATE stage_attempt SET status = $status, ended_at = $ended, duration_ms = $ms, rows_in = $in, rows_out = $out,
                   rows_rejected = $rejected, rows_excluded = $excluded, platform_calls = $calls, counts_json = $counts, error = $error
            WHERE id = $id
            """,
            cancellationToken,
            ("$status", status.ToText()), ("$ended", CrmTime.Format(endedAt)), ("$ms", durationMs),
            ("$in", counts.RowsIn), ("$out", counts.RowsOut), ("$rejected", counts.RowsRejected),
            ("$excluded", counts.RowsExcluded), ("$calls", counts.PlatformCalls), ("$counts", JsonSerializer.Serialize(counts.Details)),
            ("$error", error), ("$id", attemptId));
    }

    /// <summary>Attempts a dead process left 'running' are recorded as interrupted (called under the run lock).</summary>
    public Task<int> MarkAbandonedAttemptsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE stage_attempt SET status = 'interrupted', ended_at = $now, error = 'the process ended before the attempt finished' WHERE status = 'running'",
            cancellationToken,
            ("$now", CrmTime.Format(now)));

    public Task<IReadOnlyList<AttemptRecord>> ListAttemptsAsync(string runId, CancellationToken cancellationToken) =>
        QueryAttemptsAsync("WHERE run_id = $run ORDER BY id", cancellationToken, ("$run", runId));

    /// <summary>
    /// The succeeded attempts of a stage across all runs, newest first (e.g. the last successful refill
    /// of a list, against which tonight's export is checked for a suspicious shrink).
    /// </summary>
    public Task<IReadOnlyList<AttemptRecord>> ListSucceededAttemptsAsync(StageName stage, int limit, CancellationToken cancellationToken) =>
        QueryAttemptsAsync("WHERE stage = $stage AND status = 'succeeded' ORDER BY id DESC LIMIT $limit", cancellationToken,
            ("$stage", stage.ToText()), ("$limit", limit));

    /// <summary>The newest succeeded attempt of a stage in one run, or null.</summary>
    public async Task<AttemptRecord?> LastSucceededAttemptAsync(string runId, StageName stage, CancellationToken cancellationToken)
    {
        var attempts = await QueryAttemptsAsync("WHERE run_id = $run AND stage = $stage AND status = 'succeeded' ORDER BY id DESC LIMIT 1",
            cancellationToken, ("$run", runId), ("$stage", stage.ToText()));
        return attempts.Count == 0 ? null : attempts[0];
    }

    private async Task<IReadOnlyList<AttemptRecord>> QueryAttemptsAsync(string where, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, run_id, stage, attempt, status, started_at, ended_at, duration_ms, rows_in, rows_out, rows_rejected,
                   rows_excluded, counts_json, error, overrides, platform_calls
            FROM stage_attempt
            """ + " " + where;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<AttemptRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new AttemptRecord(
                reader.GetInt64(0), reader.GetString(1), StageNames.Parse(reader.GetString(2)), reader.GetInt32(3), StageStatusText.Parse(reader.GetString(4)),
                reader.GetString(5), NullableString(reader, 6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11),
                NullableString(reader, 12), NullableString(reader, 13), NullableString(reader, 14), reader.GetInt64(15)));
        }

        return list;
    }

    public async Task AddFileAsync(long attemptId, ArchivedFileRecord file, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            """
            INSERT INTO attempt_file (attempt_id, name, relative_path, kind, direction, rows, bytes, sha256, counterpart)
            VALUES ($a, $name, $path, $kind, $dir, $rows, $bytes, $sha, $cp)
            """,
            cancellationToken,
            ("$a", attemptId), ("$name", file.Name), ("$path", file.RelativePath), ("$kind", file.Kind), ("$dir", file.Direction),
            ("$rows", file.Rows), ("$bytes", file.Bytes), ("$sha", file.Sha256), ("$cp", file.Counterpart));
    }

    public Task<IReadOnlyList<ArchivedFileRecord>> ListFilesAsync(long attemptId, CancellationToken cancellationToken) =>
        ListFilesAsync("WHERE attempt_id = $a", attemptId, cancellationToken);

    /// <summary>The files the journal recorded for the attempt whose manifest is chain entry <paramref name="sequence"/>.</summary>
    public Task<IReadOnlyList<ArchivedFileRecord>> ListFilesOfManifestAsync(long sequence, CancellationToken cancellationToken) =>
        ListFilesAsync("WHERE attempt_id = (SELECT attempt_id FROM manifest_chain WHERE sequence = $a)", sequence, cancellationToken);

    private async Task<IReadOnlyList<ArchivedFileRecord>> ListFilesAsync(string where, long key, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, relative_path, kind, direction, rows, bytes, sha256, counterpart FROM attempt_file " + where + " ORDER BY name";
        command.Parameters.AddWithValue("$a", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ArchivedFileRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ArchivedFileRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6), NullableString(reader, 7)));
        }

        return list;
    }

    public async Task<ChainEntry?> GetChainHeadAsync(CancellationToken cancellationToken)
    {
        var chain = await ListChainAsync("ORDER BY sequence DESC LIMIT 1", cancellationToken);
        return chain.Count == 0 ? null : chain[0];
    }

    public Task<IReadOnlyList<ChainEntry>> ListChainAsync(CancellationToken cancellationToken) =>
        ListChainAsync("ORDER BY sequence", cancellationToken);

    public Task AppendChainAsync(ChainEntry entry, long? attemptId, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT INTO manifest_chain (sequence, kind, relative_path, sha256, created_at, attempt_id) VALUES ($seq, $kind, $path, $sha, $at, $a)",
            cancellationToken,
            ("$seq", entry.Sequence), ("$kind", entry.Kind), ("$path", entry.RelativePath), ("$sha", entry.Sha256),
            ("$at", entry.CreatedAt), ("$a", attemptId));

    public async Task MarkPurgedAsync(IEnumerable<long> sequences, long purgeSequence, IEnumerable<string> runIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var sequence in sequences)
        {
            await ExecuteAsync("UPDATE manifest_chain SET purged_by = $p WHERE sequence = $s", cancellationToken, ("$p", purgeSequence), ("$s", sequence));
        }

        foreach (var runId in runIds)
        {
            await ExecuteAsync("UPDATE run SET purged_at = $at WHERE run_id = $id", cancellationToken, ("$at", CrmTime.Format(now)), ("$id", runId));
        }
    }

    public Task SetLockHolderAsync(LockHolder holder, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT OR REPLACE INTO run_lock (id, run_id, process_id, host, acquired_at) VALUES (1, $run, $pid, $host, $at)",
            cancellationToken,
            ("$run", holder.RunId), ("$pid", holder.ProcessId), ("$host", holder.Host), ("$at", holder.AcquiredAt));

    public Task ClearLockHolderAsync(CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM run_lock", cancellationToken);

    public async Task<LockHolder?> GetLockHolderAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT run_id, process_id, host, acquired_at FROM run_lock WHERE id = 1";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LockHolder(NullableString(reader, 0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3))
            : null;
    }

    private async Task<IReadOnlyList<ChainEntry>> ListChainAsync(string tail, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence, kind, relative_path, sha256, created_at, purged_by FROM manifest_chain " + tail;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ChainEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ChainEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5)));
        }

        return list;
    }

    private async Task<IReadOnlyList<RunRecord>> QueryRunsAsync(
        string where, int limit, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT run_id, business_date, time_zone, created_at, trigger, purged_at FROM run {where} ORDER BY created_at DESC, run_id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<RunRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new RunRecord(reader.GetString(0), DateOnly.ParseExact(reader.GetString(1), "yyyy-MM-dd", CultureInfo.InvariantCulture),
                reader.GetString(2), reader.GetString(3), reader.GetString(4), NullableString(reader, 5)));
        }

        return list;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string LoadSchema()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CampaignEtl.Pipeline.journal.sqlite.sql")
            ?? throw new InvalidOperationException("The journal schema resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
