using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using CampaignEtl.Sandbox.Soap;
using CampaignEtl.Sandbox.Store;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Sandbox;

/// <summary>
/// The platform's state in its own SQLite file (WAL): recipient lists, members, unsubscribes, blocklist, bounce
/// counters, mailings and response events. One connection, one writer at a time; the SOAP services and the
/// test/seeding methods below go through the same code.
/// </summary>
public sealed partial class SandboxState : IAsyncDisposable
{
    public const string SchemaVersion = "1";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly SqliteConnection _connection;
    private readonly Dictionary<long, ListInfo> _lists = [];
    private BlocklistSnapshot? _blocklist;
    private SuppressionSnapshot? _suppression;

    private SandboxState(SandboxOptions options, TimeProvider time, SqliteConnection connection, string path)
    {
        _options = options;
        _time = time;
        _connection = connection;
        DatabasePath = path;
    }

    public string DatabasePath { get; }

    internal SandboxOptions Options => _options;

    internal TimeProvider Time => _time;

    internal static async Task<SandboxState> OpenAsync(SandboxOptions options, TimeProvider time, string path, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; PRAGMA busy_timeout = 5000;\n" +
                LoadSchemaScript() +
                "\nINSERT OR IGNORE INTO schema_info (key, value) VALUES ('schema_version', '" + SchemaVersion + "');";
            await command.ExecuteNonQueryAsync(ct);
            return new SandboxState(options, time, connection, path);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    internal static string LoadSchemaScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CampaignEtl.Sandbox.sandbox.sqlite.sql")
            ?? throw new InvalidOperationException("The sandbox schema resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await _connection.DisposeAsync();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---------------------------------------------------------------- seeding and inspection API

    /// <summary>Creates (or replaces the definition of) a recipient list. Opt-in lists re-activate unsubscribed recipients on add.</summary>
    public async Task CreateRecipientListAsync(long listId, string name, IEnumerable<string> attributeNames, bool isOptInList = false, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(attributeNames);
        var names = attributeNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO recipient_list (list_id, name, is_opt_in, attribute_names, created_at) VALUES ($id, $name, $optin, $attrs, $now)
                ON CONFLICT (list_id) DO UPDATE SET name = excluded.name, is_opt_in = excluded.is_opt_in, attribute_names = excluded.attribute_names
                """;
            command.Parameters.AddWithValue("$id", listId);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$optin", isOptInList ? 1 : 0);
            command.Parameters.AddWithValue("$attrs", JsonSerializer.Serialize(names));
            command.Parameters.AddWithValue("$now", NowMs);
            await command.ExecuteNonQueryAsync(ct);
            _lists.Remove(listId);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unsubscribes a recipient id or address: client-wide (listId null) or from one list.</summary>
    public async Task AddUnsubscribeAsync(string recipientIdOrEmail, long? listId = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(recipientIdOrEmail);
        await _gate.WaitAsync(ct);
        try
        {
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
            await InsertUnsubscribeAsync(tx, recipientIdOrEmail, listId ?? 0, null, NowMs, NowMs, ct);
            await tx.CommitAsync(ct);
            _suppression = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Adds a blocklist entry: an address or a pattern with * and ? (e.g. <c>*@example.org</c>).</summary>
    public async Task AddBlocklistEntryAsync(string entry, string? reason = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entry);
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO blocklist_entry (entry, reason, created_at) VALUES ($entry, $reason, $now)";
            command.Parameters.AddWithValue("$entry", entry.Trim());
            command.Parameters.AddWithValue("$reason", (object?)reason ?? DBNull.Value);
            command.Parameters.AddWithValue("$now", NowMs);
            await command.ExecuteNonQueryAsync(ct);
            _blocklist = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sets an address's bounce counter of one category; going over the threshold records an outbounce.</summary>
    public async Task SetBounceCountAsync(string email, BounceCategory category, int count, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        await _gate.WaitAsync(ct);
        try
        {
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
            await SetBounceCounterAsync(tx, email, email, category, count, absolute: true, NowMs, NowMs, ct);
            await tx.CommitAsync(ct);
            _suppression = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Adds recipients as addAll3Flat would (same rules and codes, in calls of at most 1000), for seeding.</summary>
    public async Task<IReadOnlyList<int>> AddRecipientsAsync(long listId, IReadOnlyList<SandboxRecipient> recipients, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        var names = recipients.SelectMany(r => r.Attributes.Keys).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var codes = new List<int>(recipients.Count);
        for (var start = 0; start < recipients.Count; start += MaxRecipientsPerCall)
        {
            var chunk = recipients.Skip(start).Take(MaxRecipientsPerCall).ToList();
            var ids = chunk.ConvertAll(r => (string?)r.RecipientId);
            var emails = chunk.ConvertAll(r => (string?)r.Email);
            try
            {
                codes.AddRange(await AddAllAsync(
                    "addAll3Flat", listId, 0, ids, emails, names,
                    (i, j) => chunk[i].Attributes.TryGetValue(names[j], out var v) ? v : null, ct));
            }
            catch (SandboxFault ex)
            {
                throw new InvalidOperationException(ex.FaultString, ex);
            }
        }

        return codes;
    }

    /// <summary>The members of a list, ordered by recipient id.</summary>
    public async Task<IReadOnlyList<SandboxRecipient>> GetListMembersAsync(long listId, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT recipient_id, email, attributes FROM recipient WHERE list_id = $list ORDER BY recipient_id";
            command.Parameters.AddWithValue("$list", listId);
            var result = new List<SandboxRecipient>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(new SandboxRecipient(reader.GetString(0), reader.GetString(1), ParseAttributes(reader.GetString(2))));
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<int> GetCountAsync(long listId, CancellationToken ct = default) =>
        ScalarAsync("SELECT count(*) FROM recipient WHERE list_id = $a", listId, ct);

    /// <summary>True when the id or address is unsubscribed client-wide, or (listId given) from that list.</summary>
    public async Task<bool> IsUnsubscribedAsync(string recipientIdOrEmail, long? listId = null, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = listId is null
                ? "SELECT count(*) FROM unsubscribe WHERE recipient_id = $r"
                : "SELECT count(*) FROM unsubscribe WHERE recipient_id = $r AND list_id IN (0, $l)";
            command.Parameters.AddWithValue("$r", recipientIdOrEmail);
            command.Parameters.AddWithValue("$l", listId ?? 0);
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The bounce counters of an address (0, 0 when it never bounced).</summary>
    public async Task<(int Hard, int Soft)> GetBounceCountsAsync(string email, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT hard, soft FROM bounce_counter WHERE email = $e";
            command.Parameters.AddWithValue("$e", email);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.GetInt32(1)) : (0, 0);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>All recorded response events (optionally of one mailing), in recording order.</summary>
    public async Task<IReadOnlyList<SandboxResponseEvent>> GetEventsAsync(long? mailingId = null, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT event_id, event_type, occurred_at, recorded_at, mailing_id, recipient_id, email, list_id, link_url, bounce_reason FROM response_event" +
                (mailingId is null ? string.Empty : " WHERE mailing_id = $m") + " ORDER BY event_id";
            command.Parameters.AddWithValue("$m", mailingId ?? 0);
            var result = new List<SandboxResponseEvent>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                result.Add(new SandboxResponseEvent(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4),
                    reader.GetString(5),
                    reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetInt64(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9)));
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    // ---------------------------------------------------------------- RecipientWebservice

    /// <summary>
    /// addAll3 / addAll3Flat. Per recipient, in this order: 1 invalid address; 3 blocklisted; 2 unsubscribed (client-wide
    /// or from this list) on a regular list (an opt-in list removes the unsubscribe and adds); 4 over a bounce threshold;
    /// 5 already in the list (also a repeat within the call; never updated); else 0 inserted. One transaction per call.
    /// </summary>
    internal async Task<int[]> AddAllAsync(
        string operation, long listId, long optinProcessId, IReadOnlyList<string?> ids, IReadOnlyList<string?> emails,
        IReadOnlyList<string?> attributeNames, Func<int, int, string?> value, CancellationToken ct)
    {
        _ = optinProcessId; // opt-in processes (double opt-in mails) are not simulated: recipients are active at once
        if (ids.Count != emails.Count)
        {
            throw SandboxFault.Platform(Invariant($"recipientIds ({ids.Count}) and emailAddresses ({emails.Count}) differ in length for call: {operation}"));
        }

        if (ids.Count > MaxRecipientsPerCall)
        {
            throw SandboxFault.Platform(Invariant($"Too many recipients: {ids.Count} (at most {MaxRecipientsPerCall}) for call: {operation}"));
        }

        var names = new string[attributeNames.Count];
        for (var j = 0; j < names.Length; j++)
        {
            names[j] = attributeNames[j] is { Length: > 0 } n ? n : throw SandboxFault.Platform("Empty attribute name for call: " + operation);
        }

        await _gate.WaitAsync(ct);
        try
        {
            var list = await RequireListAsync(operation, listId, names, ct);
            var blocklist = await GetBlocklistAsync(ct);
            var now = NowMs;
            var codes = new int[ids.Count];
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);

            var suppression = await GetSuppressionAsync(ct);
            var reactivated = false;
            await using var deleteUnsub = Prepare(tx, "DELETE FROM unsubscribe WHERE recipient_id IN ($r, $e)", "$r", "$e");
            await using var insert = Prepare(tx, "INSERT INTO recipient (list_id, recipient_id, email, attributes, added_at) VALUES ($l, $r, $e, $a, $t) ON CONFLICT DO NOTHING", "$l", "$r", "$e", "$a", "$t");
            insert.Parameters["$l"].Value = listId;
            insert.Parameters["$t"].Value = now;
            var json = new ArrayBufferWriter<byte>(256);
            using var jsonWriter = new Utf8JsonWriter(json);

            // The loop runs synchronously: Microsoft.Data.Sqlite's async methods complete synchronously anyway, and
            // their per-call Task overhead dominated (1000 recipients x 3 statements per call).
            for (var i = 0; i < codes.Length; i++)
            {
                var email = emails[i]?.Trim();
                var id = ids[i] is { Length: > 0 } given ? given.Trim() : email;
                if (string.IsNullOrEmpty(id) || !EmailSyntax.IsValid(email))
                {
                    codes[i] = AddResultCodes.InvalidAddress;
                    continue;
                }

                if (blocklist.IsBlocked(email!))
                {
                    codes[i] = AddResultCodes.Blocklisted;
                    continue;
                }

                if (suppression.IsUnsubscribed(id, email!, listId))
                {
                    if (!list.IsOptIn)
                    {
                        codes[i] = AddResultCodes.Unsubscribed;
                        continue;
                    }

                    deleteUnsub.Parameters["$r"].Value = id;
                    deleteUnsub.Parameters["$e"].Value = email;
                    deleteUnsub.ExecuteNonQuery();
                    reactivated = true;
                }

                if (suppression.OverLimit.Contains(email!))
                {
                    codes[i] = AddResultCodes.BounceLimitExceeded;
                    continue;
                }

                json.ResetWrittenCount();
                jsonWriter.Reset(json);
                jsonWriter.WriteStartObject();
                for (var j = 0; j < names.Length; j++)
                {
                    var v = value(i, j);
                    if (v is null)
                    {
                        jsonWriter.WriteNull(names[j]);
                    }
                    else
                    {
                        jsonWriter.WriteString(names[j], v);
                    }
                }

                jsonWriter.WriteEndObject();
                jsonWriter.Flush();
                insert.Parameters["$r"].Value = id;
                insert.Parameters["$e"].Value = email;
                insert.Parameters["$a"].Value = Encoding.UTF8.GetString(json.WrittenSpan);
                codes[i] = insert.ExecuteNonQuery() == 1 ? AddResultCodes.Inserted : AddResultCodes.AlreadyInList;
            }

            await tx.CommitAsync(ct);
            if (reactivated)
            {
                _suppression = null;
            }

            return codes;
        }
        finally
        {
            _gate.Release();
        }
    }

    public const int MaxRecipientsPerCall = 1000;

    internal async Task ClearAsync(long listId, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await RequireListAsync("clear", listId, [], ct);
            await using var command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM recipient WHERE list_id = $l";
            command.Parameters.AddWithValue("$l", listId);
            await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    internal async Task<int> CountAsync(long listId, long filterId, CancellationToken ct)
    {
        if (filterId != 0)
        {
            throw SandboxFault.Platform(Invariant($"Recipient filter {filterId} does not exist for call: getCount"));
        }

        await _gate.WaitAsync(ct);
        try
        {
            await RequireListAsync("getCount", listId, [], ct);
        }
        finally
        {
            _gate.Release();
        }

        return await GetCountAsync(listId, ct);
    }

    internal async Task<bool[]> RemoveAllAsync(long listId, IReadOnlyList<string?> ids, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await RequireListAsync("removeAll", listId, [], ct);
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
            await using var delete = Prepare(tx, "DELETE FROM recipient WHERE list_id = $l AND recipient_id = $r", "$l", "$r");
            delete.Parameters["$l"].Value = listId;
            var result = new bool[ids.Count];
            for (var i = 0; i < ids.Count; i++)
            {
                delete.Parameters["$r"].Value = ids[i] ?? string.Empty;
                result[i] = await delete.ExecuteNonQueryAsync(ct) > 0;
            }

            await tx.CommitAsync(ct);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal async Task RemoveAsync(long listId, string recipientId, CancellationToken ct)
    {
        var removed = await RemoveAllAsync(listId, [recipientId], ct);
        if (!removed[0])
        {
            throw SandboxFault.Platform("Recipient does not exist for call: remove");
        }
    }

    internal async Task<bool> ContainsAsync(long listId, string recipientId, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await RequireListAsync("contains", listId, [], ct);
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM recipient WHERE list_id = $l AND recipient_id = $r";
            command.Parameters.AddWithValue("$l", listId);
            command.Parameters.AddWithValue("$r", recipientId);
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// getAllAdvancedFlat: row-major values of the named attributes for one page (pageStart = 0-based row offset).
    /// The pseudo attributes <c>recipientId</c>/<c>id</c> and <c>email</c>/<c>emailAddress</c> give the id and the address.
    /// </summary>
    internal async Task<List<string?>> GetAllAdvancedFlatAsync(long listId, IReadOnlyList<string?> names, long filterId, string? orderBy, bool ascending, int pageStart, int pageSize, CancellationToken ct)
    {
        if (filterId != 0)
        {
            throw SandboxFault.Platform(Invariant($"Recipient filter {filterId} does not exist for call: getAllAdvancedFlat"));
        }

        if (pageStart < 0 || pageSize is < 1 or > 1000)
        {
            throw SandboxFault.Platform(Invariant($"Invalid page (pageStart {pageStart}, pageSize {pageSize}; pageSize 1 to 1000) for call: getAllAdvancedFlat"));
        }

        await _gate.WaitAsync(ct);
        try
        {
            var list = await RequireListAsync("getAllAdvancedFlat", listId, [], ct);
            var order = orderBy switch
            {
                null or "" => "recipient_id",
                _ when IsIdName(orderBy) => "recipient_id",
                _ when IsEmailName(orderBy) => "email",
                _ when list.Attributes.Contains(orderBy) => "json_extract(attributes, $orderPath)",
                _ => throw SandboxFault.Platform("Unknown attribute " + orderBy + " for call: getAllAdvancedFlat"),
            };
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT recipient_id, email, attributes FROM recipient WHERE list_id = $l ORDER BY " + order +
                (ascending ? " ASC" : " DESC") + ", recipient_id LIMIT $n OFFSET $o";
            command.Parameters.AddWithValue("$l", listId);
            command.Parameters.AddWithValue("$n", pageSize);
            command.Parameters.AddWithValue("$o", pageStart);
            command.Parameters.AddWithValue("$orderPath", "$.\"" + (orderBy ?? string.Empty).Replace("\"", string.Empty, StringComparison.Ordinal) + "\"");
            var result = new List<string?>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var attributes = ParseAttributes(reader.GetString(2));
                foreach (var name in names)
                {
                    result.Add(name switch
                    {
                        null => null,
                        _ when IsIdName(name) => reader.GetString(0),
                        _ when IsEmailName(name) => reader.GetString(1),
                        _ when list.Attributes.Contains(name) => attributes.GetValueOrDefault(name),
                        _ => throw SandboxFault.Platform("Unknown attribute " + name + " for call: getAllAdvancedFlat"),
                    });
                }
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static bool IsIdName(string name) => name.Equals("recipientId", StringComparison.OrdinalIgnoreCase) || name.Equals("id", StringComparison.OrdinalIgnoreCase) || name.Equals("recipient-id", StringComparison.OrdinalIgnoreCase);

    private static bool IsEmailName(string name) => name.Equals("email", StringComparison.OrdinalIgnoreCase) || name.Equals("emailAddress", StringComparison.OrdinalIgnoreCase);

    // ---------------------------------------------------------------- Unsubscribe, Blacklist, Response

    internal async Task UnsubscribeAllAsync(long listId, IReadOnlyList<string?> ids, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var scope = _options.ListBasedUnsubscribes ? listId : 0;
            var now = NowMs;
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
            foreach (var id in ids)
            {
                if (!string.IsNullOrWhiteSpace(id))
                {
                    await InsertUnsubscribeAsync(tx, id.Trim(), scope, null, now, now, ct);
                }
            }

            await tx.CommitAsync(ct);
            _suppression = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal async Task<bool[]> UnsubscribeContainsAllAsync(IReadOnlyList<string?> ids, CancellationToken ct)
    {
        var result = new bool[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            result[i] = ids[i] is { } id && await IsUnsubscribedAsync(id, null, ct);
        }

        return result;
    }

    internal Task<int> UnsubscribeCountAsync(CancellationToken ct) =>
        ScalarAsync("SELECT count(DISTINCT recipient_id) FROM unsubscribe WHERE $a = $a", 0, ct);

    internal async Task<bool[]> AreBlocklistedAsync(IReadOnlyList<string?> emails, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var blocklist = await GetBlocklistAsync(ct);
            return emails.Select(e => e is not null && blocklist.IsBlocked(e.Trim())).ToArray();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Blacklist getAllAdvancedFlat: 5 values per entry: id, kind (exact|wildcard), entry, reason, created (ISO 8601 UTC).</summary>
    internal async Task<List<string?>> GetBlocklistPageAsync(int pageStart, int pageSize, CancellationToken ct)
    {
        if (pageStart < 0 || pageSize is < 1 or > 1000)
        {
            throw SandboxFault.Platform(Invariant($"Invalid page (pageStart {pageStart}, pageSize {pageSize}; pageSize 1 to 1000) for call: getAllAdvancedFlat"));
        }

        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT entry_id, entry, reason, created_at FROM blocklist_entry ORDER BY entry_id LIMIT $n OFFSET $o";
            command.Parameters.AddWithValue("$n", pageSize);
            command.Parameters.AddWithValue("$o", pageStart);
            var result = new List<string?>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var entry = reader.GetString(1);
                result.Add(reader.GetInt64(0).ToString(CultureInfo.InvariantCulture));
                result.Add(Wildcard.HasWildcards(entry) ? "wildcard" : "exact");
                result.Add(entry);
                result.Add(reader.IsDBNull(2) ? null : reader.GetString(2));
                result.Add(IsoUtc(reader.GetInt64(3)));
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal int BounceThreshold(string? category) => category?.Trim().ToLowerInvariant() switch
    {
        "hardbounce" or "hard" => _options.HardBounceThreshold,
        "softbounce" or "soft" => _options.SoftBounceThreshold,
        _ => throw SandboxFault.Platform("Unknown bounce category " + category + " for call: getBounceCounterThreshold"),
    };

    // ---------------------------------------------------------------- helpers

    internal static string IsoUtc(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task<int> ScalarAsync(string sql, long argument, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$a", argument);
            return Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }
        finally
        {
            _gate.Release();
        }
    }

    private SqliteCommand Prepare(SqliteTransaction tx, string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }

        command.Prepare();
        return command;
    }

    private async Task InsertUnsubscribeAsync(SqliteTransaction tx, string recipientId, long listId, long? mailingId, long occurredAt, long recordedAt, CancellationToken ct)
    {
        await using var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT OR IGNORE INTO unsubscribe (recipient_id, list_id, created_at) VALUES ($r, $l, $t);
            INSERT INTO response_event (event_type, occurred_at, recorded_at, mailing_id, recipient_id, email, list_id)
            SELECT 'unsubscribe', $t, $rec, $m, $r, $r, nullif($l, 0) WHERE changes() > 0 AND $m IS NULL;
            """;
        command.Parameters.AddWithValue("$r", recipientId);
        command.Parameters.AddWithValue("$l", listId);
        command.Parameters.AddWithValue("$t", occurredAt);
        command.Parameters.AddWithValue("$rec", recordedAt);
        command.Parameters.AddWithValue("$m", (object?)mailingId ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Sets (absolute) or adds to a bounce counter; records an outbounce event the first time the address goes over a threshold.</summary>
    private async Task<bool> SetBounceCounterAsync(SqliteTransaction tx, string recipientId, string email, BounceCategory category, int count, bool absolute, long occurredAt, long recordedAt, CancellationToken ct)
    {
        var column = category == BounceCategory.Hard ? "hard" : "soft";
        await using var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText =
            "INSERT INTO bounce_counter (email, " + column + ") VALUES ($e, $n) ON CONFLICT (email) DO UPDATE SET " + column + " = " +
            (absolute ? "$n" : column + " + $n") + ";\n" +
            "UPDATE bounce_counter SET outbounced_at = $t WHERE email = $e AND outbounced_at IS NULL AND (hard >= $hard OR soft >= $soft) RETURNING 1;";
        command.Parameters.AddWithValue("$e", email);
        command.Parameters.AddWithValue("$n", count);
        command.Parameters.AddWithValue("$t", occurredAt);
        command.Parameters.AddWithValue("$hard", _options.HardBounceThreshold);
        command.Parameters.AddWithValue("$soft", _options.SoftBounceThreshold);
        var outbounced = await command.ExecuteScalarAsync(ct) is not null;
        if (outbounced)
        {
            await using var insert = _connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO response_event (event_type, occurred_at, recorded_at, recipient_id, email) VALUES ('outbounce', $t, $rec, $r, $e)";
            insert.Parameters.AddWithValue("$t", occurredAt);
            insert.Parameters.AddWithValue("$rec", recordedAt);
            insert.Parameters.AddWithValue("$r", recipientId);
            insert.Parameters.AddWithValue("$e", email);
            await insert.ExecuteNonQueryAsync(ct);
        }

        return outbounced;
    }

    /// <summary>The list, from the cache or the database; with AutoCreateLists an unknown list or attribute is created. Call under the gate.</summary>
    private async Task<ListInfo> RequireListAsync(string operation, long listId, IReadOnlyList<string> attributeNames, CancellationToken ct)
    {
        if (!_lists.TryGetValue(listId, out var list))
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "SELECT is_opt_in, attribute_names FROM recipient_list WHERE list_id = $l";
            command.Parameters.AddWithValue("$l", listId);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    list = new ListInfo(reader.GetInt64(0) == 1, new HashSet<string>(JsonSerializer.Deserialize<List<string>>(reader.GetString(1)) ?? [], StringComparer.OrdinalIgnoreCase));
                }
            }

            if (list is null)
            {
                if (!_options.AutoCreateLists)
                {
                    throw SandboxFault.Platform(Invariant($"Recipient list {listId} does not exist for call: {operation}"));
                }

                list = new ListInfo(false, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
                await SaveListAsync(listId, list, ct);
            }

            _lists[listId] = list;
        }

        var unknown = attributeNames.Where(n => !list.Attributes.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            if (!_options.AutoCreateLists)
            {
                throw SandboxFault.Platform("Unknown attribute(s) " + string.Join(", ", unknown) + Invariant($" of recipient list {listId} for call: {operation}"));
            }

            list.Attributes.UnionWith(unknown);
            await SaveListAsync(listId, list, ct);
        }

        return list;
    }

    private async Task SaveListAsync(long listId, ListInfo list, CancellationToken ct)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = """
            INSERT INTO recipient_list (list_id, name, is_opt_in, attribute_names, created_at) VALUES ($l, $name, $o, $a, $t)
            ON CONFLICT (list_id) DO UPDATE SET attribute_names = excluded.attribute_names
            """;
        command.Parameters.AddWithValue("$l", listId);
        command.Parameters.AddWithValue("$name", Invariant($"list {listId}"));
        command.Parameters.AddWithValue("$o", list.IsOptIn ? 1 : 0);
        command.Parameters.AddWithValue("$a", JsonSerializer.Serialize(list.Attributes.Order(StringComparer.Ordinal)));
        command.Parameters.AddWithValue("$t", NowMs);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<BlocklistSnapshot> GetBlocklistAsync(CancellationToken ct)
    {
        if (_blocklist is { } cached)
        {
            return cached;
        }

        var exact = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var patterns = new List<string>();
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT entry FROM blocklist_entry";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var entry = reader.GetString(0);
            if (Wildcard.HasWildcards(entry))
            {
                patterns.Add(entry);
            }
            else
            {
                exact.Add(entry);
            }
        }

        return _blocklist = new BlocklistSnapshot(exact, patterns);
    }

    /// <summary>Unsubscribes and over-limit addresses in memory, so addAll3 costs one INSERT per recipient; reloaded after any change. Call under the gate.</summary>
    private async Task<SuppressionSnapshot> GetSuppressionAsync(CancellationToken ct)
    {
        if (_suppression is { } cached)
        {
            return cached;
        }

        var unsubscribes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var listWise = false;
        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT recipient_id, list_id FROM unsubscribe";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var list = reader.GetInt64(1);
                listWise |= list != 0;
                unsubscribes.Add(SuppressionSnapshot.Key(reader.GetString(0), list));
            }
        }

        var overLimit = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT email FROM bounce_counter WHERE hard >= $hard OR soft >= $soft";
            command.Parameters.AddWithValue("$hard", _options.HardBounceThreshold);
            command.Parameters.AddWithValue("$soft", _options.SoftBounceThreshold);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                overLimit.Add(reader.GetString(0));
            }
        }

        return _suppression = new SuppressionSnapshot(unsubscribes, listWise, overLimit);
    }

    private sealed record SuppressionSnapshot(HashSet<string> Unsubscribes, bool AnyListWise, HashSet<string> OverLimit)
    {
        public static string Key(string recipientIdOrEmail, long listId) =>
            listId == 0 ? recipientIdOrEmail : listId.ToString(CultureInfo.InvariantCulture) + "|" + recipientIdOrEmail;

        public bool IsUnsubscribed(string id, string email, long listId) =>
            Unsubscribes.Contains(id) || Unsubscribes.Contains(email)
            || (AnyListWise && (Unsubscribes.Contains(Key(id, listId)) || Unsubscribes.Contains(Key(email, listId))));
    }

    private static Dictionary<string, string?> ParseAttributes(string json)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            result[property.Name] = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetString();
        }

        return result;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record ListInfo(bool IsOptIn, HashSet<string> Attributes);

    private sealed record BlocklistSnapshot(HashSet<string> Exact, List<string> Patterns)
    {
        public bool IsBlocked(string email)
        {
            if (Exact.Contains(email))
            {
                return true;
            }

            foreach (var pattern in Patterns)
            {
                if (Wildcard.IsMatch(pattern, email))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
