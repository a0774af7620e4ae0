using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CampaignEtl.Crm.Store;
using CampaignEtl.Crm.Suppression;
using Microsoft.Data.Sqlite;

namespace CampaignEtl.Crm.Responses;

/// <summary>
/// Applies the platform's response events (sends, opens, clicks, bounces, unsubscribes) to the CRM, one transaction
/// per batch that also moves the file's ledger entry (<c>ingested_file</c>), so a crash never ingests anything twice.
/// The rules, per event, in this order:
/// <list type="number">
/// <item><b>Event ledger</b> (<c>response_event</c>, key: the first 16 bytes of the SHA-256 of type, mailing,
/// recipient id, trimmed lower-case address, time in milliseconds and link URL). The same event already applied
/// from the same file is a duplicate row: rejected (<c>duplicate-row</c>); from another file (platform exports
/// overlap): ignored (<c>already-applied</c>). Only applied events enter the ledger; a rejected or ignored event
/// changes nothing.</item>
/// <item><b>Person</b>: the recipient id is the CRM person id, a converted lead stands for its converted contact;
/// an empty or unknown id falls back to the address (<c>person.email_normalized</c>): one match is that person;
/// several: bounces and unsubscribes apply to all of them (as suppress does), sends, opens and clicks are rejected
/// (<c>ambiguous-recipient</c>); none: rejected (<c>unknown-recipient</c>).</item>
/// <item><b>Campaign</b>: the one whose <c>platform_mailing_id</c> is the event's mailing. None: sends, opens
/// and clicks are ignored (<c>mailing-not-linked</c>); bounces and unsubscribes still apply to the person.</item>
/// <item><b>Person part of bounces and unsubscribes</b>, exactly as suppress (<see cref="SuppressionWriter"/>),
/// through the same <c>suppression_event</c> ledger, so an event suppress already applied is not applied again:
/// a hard bounce marks the address bounced, a soft bounce counts towards the soft-bounce threshold, an unsubscribe
/// revokes the list's opt-in when list-based unsubscribes are configured and the list is known (an unknown list
/// skips this part), else opts the person out of email.</item>
/// <item><b>Sync mode</b> of the campaign:
/// <c>campaign</c> and <c>campaign+activity</c> set the member status to the label configured for the event
/// type. A label the campaign does not define rejects the event (<c>unknown-member-status</c>) unless missing
/// statuses are created. A missing member is created. An existing member is never downgraded (the precedence
/// list decides; a label not in it is the weakest; equal keeps), and a member changed after the event's time
/// keeps its status (the newer <c>updated_at</c> wins: a CRM user changed it). A changed member gets
/// <c>updated_at</c> = the event's time, or keeps a later one (so a later event of the same night still wins and a
/// manual edit after it is kept), and <c>campaign_member_sync</c> remembers that value: a member whose <c>updated_at</c>
/// is still what ingest wrote was not changed in the CRM, so an earlier but stronger event read later still upgrades it and, for a responded label, its first responded date.
/// <c>activity</c> and <c>campaign+activity</c> add one task per event (external key = the event key, so a retry
/// never doubles it; no campaign on a lead's task); the subject carries the label unless the status is mapped to
/// a custom field; the clicked URL goes to the description or its mapped field.
/// <c>notes</c> keeps one note per person and mailing and appends a line per event.
/// <c>campaign-only</c> writes no members, tasks or notes.
/// In every mode every event of a linked mailing adds one to the campaign's totals (sent, opened, clicked, bounced,
/// unsubscribed): they are the platform's numbers for the mailing, so an event that leaves the member's status as it
/// was (weaker, equal, or older than a CRM change: counted as <c>member-status-kept:*</c>) still counts, and is
/// applied. The totals are written once per campaign and batch.</item>
/// <item>A bounce or unsubscribe of an unlinked mailing that changed nothing is ignored: <c>already-applied</c> (suppress
/// applied it), or <c>unknown-recipient-list</c> (an unsubscribe from a list that is not configured).</item>
/// </list>
/// Every changed row carries the run id, archived file and line, and <c>change_lineage</c> gets a row per change.
/// </summary>
public sealed class ResponseWriter : IAsyncDisposable
{
    private const string LeadPrefix = "00Q";
    private const int SubjectLimit = 255;

    /// <summary>Entries of each per-writer cache (recipient ids, members) before it starts again: memory stays bounded.</summary>
    private const int CacheLimit = 100_000;

    /// <summary>Event keys looked up in the ledger per statement (SQLite finds named parameters by a linear search: keep it small).</summary>
    private const int KeysPerLookup = 32;

    private static readonly string[] KeyParameters = [.. Enumerable.Range(0, KeysPerLookup).Select(i => "$k" + i.ToString(CultureInfo.InvariantCulture))];

    private readonly SqliteConnection _connection;
    private readonly ResponseSettings _settings;
    private readonly SuppressionRules _suppression;
    private readonly string _now;
    private readonly Dictionary<string, int> _rank;
    private readonly Dictionary<long, CampaignLink?> _campaigns = [];
    private readonly List<string> _people = [];
    private readonly Dictionary<string, string> _resolvedIds = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Campaign, string Person), MemberState> _members = [];
    private readonly List<SqliteCommand> _commands = [];
    private readonly SqliteCommand _findEvents;
    private readonly Dictionary<UInt128, (string File, long Line)> _knownEvents = [];
    private readonly BufferedInsert _recordEvents;
    private readonly BufferedInsert _lineageRows;
    private readonly Dictionary<UInt128, (string File, long Line)> _batchEvents = [];
    private readonly Dictionary<string, long> _fileIds = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _filePaths = [];
    private readonly SqliteCommand _findFileId;
    private readonly SqliteCommand _insertFile;
    private readonly SqliteCommand _filePath;
    private readonly SqliteCommand _peopleByIds;
    private readonly SqliteCommand _membersByPeople;
    private readonly HashSet<string> _unknownIds = new(StringComparer.Ordinal);
    private readonly HashSet<(string Campaign, string Person)> _absentMembers = [];
    private readonly Dictionary<long, string> _pendingSync = [];
    private readonly BufferedInsert _syncRows;
    private readonly List<string> _lookup = [];
    private readonly SqliteCommand _personById;
    private readonly SqliteCommand _personByEmail;
    private readonly SqliteCommand _campaign;
    private readonly SqliteCommand _statuses;
    private readonly SqliteCommand _insertStatus;
    private readonly SqliteCommand _member;
    private readonly SqliteCommand _maxMemberId;
    private readonly BufferedInsert _memberRows;
    private readonly BufferedInsert _newMemberRows;
    private readonly Dictionary<(string Campaign, string Person), PendingMember> _pendingMembers = [];
    private long _nextMemberId;
    private readonly SqliteCommand _insertTask;
    private readonly SqliteCommand _taskField;
    private readonly SqliteCommand _appendNote;
    private readonly SqliteCommand _insertNote;
    private readonly SqliteCommand _totals;
    private readonly SqliteCommand _ledger;
    private char[] _keyChars = new char[256];
    private byte[] _keyBytes = new byte[1024];

    private ResponseWriter(SqliteConnection connection, ResponseSettings settings)
    {
        _connection = connection;
        _settings = settings;
        _now = CrmTime.Format(settings.Now);
        _suppression = new SuppressionRules(connection, settings.RunId, settings.SoftBounceThreshold, settings.Now, Changes);
        _rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = settings.StatusPrecedence.Count - 1; i >= 0; i--)
        {
            _rank[settings.StatusPrecedence[i]] = i;
        }

        _findEvents = Command(
            "SELECT event_key, file_id, line FROM response_event WHERE event_key IN (" + string.Join(", ", KeyParameters) + ")", KeyParameters);
        _recordEvents = new BufferedInsert(connection, "response_event", ["event_key", "file_id", "line"], []);
        _findFileId = Command("SELECT id FROM response_file WHERE archive_file = $f", "$f");
        _insertFile = Command("INSERT INTO response_file (archive_file, run_id) VALUES ($f, $run) RETURNING id", "$f");
        _filePath = Command("SELECT archive_file FROM response_file WHERE id = $id", "$id");
        _peopleByIds = Command(
            "SELECT id, is_converted, converted_contact_id FROM person WHERE id IN (" + string.Join(", ", KeyParameters) + ")", KeyParameters);
        _membersByPeople = Command(
            "SELECT m.person_id, m.id, m.status, m.updated_at, s.status_updated_at FROM campaign_member m " +
            "LEFT JOIN campaign_member_sync s ON s.member_id = m.id WHERE m.campaign_id = $c AND m.person_id IN (" +
            string.Join(", ", KeyParameters) + ")",
            [.. KeyParameters, "$c"]);
        _syncRows = new BufferedInsert(
            connection, "campaign_member_sync", ["member_id", "status_updated_at"], [],
            " ON CONFLICT (member_id) DO UPDATE SET status_updated_at = excluded.status_updated_at");
        _lineageRows = new BufferedInsert(
            connection, "change_lineage", ["entity", "entity_key", "change", "archive_file", "line"], [("changed_at", _now), ("run_id", settings.RunId)]);
        _personById = Command("SELECT id, is_converted, converted_contact_id FROM person WHERE id = $v", "$v");
        _personByEmail = Command("SELECT id, is_converted, converted_contact_id FROM person WHERE email_normalized = lower(trim($v)) ORDER BY id", "$v");
        _campaign = Command("SELECT id, name, sync_mode FROM campaign WHERE platform_mailing_id = $m", "$m");
        _statuses = Command("SELECT label, has_responded, sort_order FROM campaign_member_status WHERE campaign_id = $c", "$c");
        _insertStatus = Command(
            "INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order) VALUES ($c, $label, $responded, 0, $sort)",
            "$c", "$label", "$responded", "$sort");
        _member = Command("""
            SELECT m.id, m.status, m.updated_at, s.status_updated_at FROM campaign_member m
            LEFT JOIN campaign_member_sync s ON s.member_id = m.id
            WHERE m.campaign_id = $c AND m.person_id = $p
            """, "$c", "$p");
        // The batch runs in a BEGIN IMMEDIATE transaction (the write lock is held from its start), so the ids after the
        // largest are ours: the ones SQLite itself would give.
        _maxMemberId = Command("SELECT coalesce(max(id), 0) FROM campaign_member");
        string[] memberColumns = ["id", "campaign_id", "person_id", "status", "first_responded_date", "updated_at", "lineage_file", "lineage_line"];
        // New members by a plain INSERT: should another writer ever have taken one of the ids, the batch fails instead
        // of overwriting its member.
        _newMemberRows = new BufferedInsert(connection, "campaign_member", memberColumns, [("created_at", _now), ("lineage_run_id", settings.RunId)]);
        _memberRows = new BufferedInsert(
            connection, "campaign_member", memberColumns, [("created_at", _now), ("lineage_run_id", settings.RunId)],
            " ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at," +
            " first_responded_date = coalesce(campaign_member.first_responded_date, excluded.first_responded_date)," +
            " lineage_run_id = excluded.lineage_run_id, lineage_file = excluded.lineage_file, lineage_line = excluded.lineage_line");
        _insertTask = Command("""
            INSERT INTO task (who_id, what_id, subject, description, activity_date, status, task_subtype, external_key, created_at, lineage_run_id, lineage_file, lineage_line)
            VALUES ($who, $what, $subject, $description, $date, 'Completed', 'Email', $key, $now, $run, $file, $line)
            ON CONFLICT (external_key) DO NOTHING
            RETURNING id
            """, "$who", "$what", "$subject", "$description", "$date", "$key", "$file", "$line");
        _taskField = Command("INSERT INTO task_custom_field (task_id, field, value) VALUES ($id, $field, $value)", "$id", "$field", "$value");
        _appendNote = Command("""
            UPDATE note SET body = CASE WHEN body IS NULL OR body = '' THEN $text ELSE body || char(10) || $text END,
                lineage_run_id = $run, lineage_file = $file, lineage_line = $line
            WHERE external_key = $key
            RETURNING id
            """, "$text", "$file", "$line", "$key");
        _insertNote = Command("""
            INSERT INTO note (parent_id, title, body, external_key, created_at, lineage_run_id, lineage_file, lineage_line)
            VALUES ($parent, $title, $text, $key, $now, $run, $file, $line)
            RETURNING id
            """, "$parent", "$title", "$text", "$key", "$file", "$line");
        _totals = Command("""
            UPDATE campaign SET number_sent = number_sent + $sent, number_opened = number_opened + $opened, number_clicked = number_clicked + $clicked,
                number_bounced = number_bounced + $bounced, number_unsubscribed = number_unsubscribed + $unsubscribed, updated_at = $now
            WHERE id = $c
            """, "$sent", "$opened", "$clicked", "$bounced", "$unsubscribed", "$c");
        // Another file under the same name is the stage's error to report (FindFileAsync): never overwrite its entry.
        _ledger = Command("""
            INSERT INTO ingested_file (name, sha256, state, last_line, run_id, archive_file, created_at, updated_at)
            VALUES ($name, $sha, $state, $last, $run, $file, $now, $now)
            ON CONFLICT (name) DO UPDATE SET state = excluded.state, last_line = excluded.last_line, run_id = excluded.run_id,
                archive_file = excluded.archive_file, updated_at = excluded.updated_at
            WHERE ingested_file.sha256 = excluded.sha256
            """, "$name", "$sha", "$state", "$last", "$file");
    }

    /// <summary>Changes per kind (e.g. <c>member-created</c>, <c>member-status-upgraded</c>, <c>task-created</c>, <c>email-bounced</c>), for the stage's details.</summary>
    public SortedDictionary<string, long> Changes { get; } = new(StringComparer.Ordinal);

    public static async Task<ResponseWriter> OpenAsync(CrmDatabase database, ResponseSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(settings);
        var connection = await database.OpenAsync(readOnly: false, ct);
        return new ResponseWriter(connection, settings);
    }

    /// <summary>The file's ledger entry; null when the name was never ingested.</summary>
    public static async Task<IngestLedgerEntry?> FindFileAsync(CrmDatabase database, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(database);
        // Read-write: opening so adds the ledger table to a CRM created before it existed.
        await using var connection = await database.OpenAsync(readOnly: false, ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, sha256, state, last_line, run_id, archive_file, updated_at FROM ingested_file WHERE name = $n";
        command.Parameters.AddWithValue("$n", name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var state = reader.GetString(2) == "complete" ? IngestFileState.Complete : IngestFileState.Partial;
        var updatedAt = DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return new IngestLedgerEntry(reader.GetString(0), reader.GetString(1), state, reader.GetInt64(3), reader.GetString(4), reader.GetString(5), updatedAt);
    }

    /// <summary>
    /// Applies the batch in one transaction together with the ledger update in <paramref name="progress"/> (the
    /// file's hash, the batch's last line, 'complete' with the file's last batch). <paramref name="commit"/> false
    /// rolls everything back (a dry run sees the outcomes, the CRM stays as it was); so does an exception.
    /// </summary>
    public async Task<IReadOnlyList<ResponseResult>> ApplyBatchAsync(
        IReadOnlyList<LocatedResponse> batch, IngestProgress progress, bool commit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(progress);
        var results = new ResponseResult[batch.Count];
        await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
        Enlist(tx);
        var committed = false;
        try
        {
            var keys = new byte[batch.Count][];
            for (var i = 0; i < batch.Count; i++)
            {
                keys[i] = EventKey(batch[i].Event);
            }

            FindKnown(keys);
            FindPeople(batch);
            FindMembers(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                results[i] = await ApplyAsync(batch[i], keys[i], ct);
            }

            WriteTotals(progress);
            RecordEvents();
            WriteMembers();
            WriteSynced();
            _lineageRows.Flush();
            WriteLedger(progress);
            if (commit)
            {
                await tx.CommitAsync(ct);
                committed = true;
            }
            else
            {
                await tx.RollbackAsync(ct);
            }
        }
        finally
        {
            Enlist(null);
            _batchEvents.Clear();
            _knownEvents.Clear();
            _recordEvents.Clear();
            _lineageRows.Clear();
            _syncRows.Clear();
            _pendingSync.Clear();
            _memberRows.Clear();
            _newMemberRows.Clear();
            _pendingMembers.Clear();
            _nextMemberId = 0;
            _unknownIds.Clear();
            _absentMembers.Clear();
            if (!committed)
            {
                // Statuses and members written in a rolled-back transaction are gone: read them again.
                _campaigns.Clear();
                _members.Clear();
                _fileIds.Clear();
                _filePaths.Clear();
            }
        }

        return results;
    }

    public async ValueTask DisposeAsync()
    {
        await _suppression.DisposeAsync();
        await _recordEvents.DisposeAsync();
        await _lineageRows.DisposeAsync();
        await _syncRows.DisposeAsync();
        await _memberRows.DisposeAsync();
        await _newMemberRows.DisposeAsync();
        foreach (var command in _commands)
        {
            await command.DisposeAsync();
        }

        await _connection.DisposeAsync();
    }

    private async Task<ResponseResult> ApplyAsync(LocatedResponse located, byte[] key, CancellationToken ct)
    {
        var e = located.Event;
        if (FindApplied(key) is { } applied)
        {
            return string.Equals(applied.File, located.File, StringComparison.Ordinal)
                ? ResponseResult.Reject("duplicate-row", string.Create(CultureInfo.InvariantCulture, $"same event as line {applied.Line}"))
                : ResponseResult.Ignore("already-applied", string.Create(CultureInfo.InvariantCulture, $"{applied.File} line {applied.Line}"));
        }

        var people = Match(e);
        var suppressing = e.Type is ResponseEventType.HardBounce or ResponseEventType.SoftBounce or ResponseEventType.Unsubscribe;
        if (people.Count == 0)
        {
            return ResponseResult.Reject("unknown-recipient");
        }

        if (people.Count > 1 && !suppressing)
        {
            return ResponseResult.Reject("ambiguous-recipient", string.Join(',', people));
        }

        var campaign = FindCampaign(e.MailingId);
        if (campaign is null && !suppressing)
        {
            return ResponseResult.Ignore("mailing-not-linked", e.MailingId.ToString(CultureInfo.InvariantCulture));
        }

        var label = _settings.StatusLabels.TryGetValue(e.Type, out var configured) ? configured : e.Type.ToString();
        MemberStatus? status = null;
        if (campaign is { HasMembers: true } && !campaign.Statuses.TryGetValue(label, out status))
        {
            if (!_settings.CreateMissingStatuses)
            {
                return ResponseResult.Reject("unknown-member-status", label);
            }

            status = CreateStatus(campaign, label, e.Type is ResponseEventType.Open or ResponseEventType.Click, located);
        }

        var changed = false;
        var ignoredBecause = "already-applied";
        if (suppressing)
        {
            (changed, ignoredBecause) = await SuppressAsync(e, people, located, ct);
        }

        if (campaign is not null)
        {
            foreach (var person in people)
            {
                if (status is not null)
                {
                    // A status kept is not an event lost: it still counts in the campaign's totals below.
                    switch (Member(campaign, person, label, status, e.OccurredAt, located))
                    {
                        case MemberChange.CrmNewer:
                            Count("member-status-kept:crm-newer");
                            break;
                        case MemberChange.NotNewer:
                            Count("member-status-kept:not-newer");
                            break;
                    }
                }

                if (campaign.HasTasks)
                {
                    changed |= AddTask(campaign, person, people.Count > 1, label, e, key, located);
                }
                else if (campaign.Mode == SyncMode.Notes)
                {
                    AppendNote(campaign, person, label, e, located);
                    changed = true;
                }
            }

            // The totals are the platform's numbers for the mailing: every event of it, once (the event ledger), whatever
            // it did to the member.
            campaign.Count(e.Type);
            Count("campaign-totals");
            changed = true;
        }

        if (!changed)
        {
            return ResponseResult.Ignore(ignoredBecause);
        }

        _batchEvents[BinaryPrimitives.ReadUInt128BigEndian(key)] = (located.File, located.Line);
        return ResponseResult.Applied;
    }

    /// <summary>
    /// The batch's applied events into the ledger, in key order: the keys are hashes, so in arrival order each insert
    /// would land on another page of the ledger's B-tree.
    /// </summary>
    private void RecordEvents()
    {
        foreach (var (key, at) in _batchEvents.OrderBy(pair => pair.Key))
        {
            var bytes = new byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
            _recordEvents.Add(bytes, FileId(at.File), at.Line);
        }

        _recordEvents.Flush();
    }

    /// <summary>
    /// The people named by the batch's recipient ids, read a few dozen per statement into the id cache (most events are
    /// a recipient's first of the run); ids the CRM does not have are remembered for the batch, so their events go
    /// straight to the address.
    /// </summary>
    private void FindPeople(IReadOnlyList<LocatedResponse> batch)
    {
        _lookup.Clear();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var located in batch)
        {
            var e = located.Event;
            if (!string.IsNullOrWhiteSpace(e.RecipientId))
            {
                var recipientId = e.RecipientId.Trim();
                if (!_resolvedIds.ContainsKey(recipientId) && wanted.Add(recipientId))
                {
                    _lookup.Add(recipientId);
                }
            }
        }

        if (_lookup.Count == 0)
        {
            return;
        }

        if (_resolvedIds.Count + _lookup.Count > CacheLimit)
        {
            _resolvedIds.Clear();
        }

        for (var first = 0; first < _lookup.Count; first += KeysPerLookup)
        {
            for (var i = 0; i < KeysPerLookup; i++)
            {
                // The last chunk repeats its last id in the unused places: IN ignores duplicates.
                _peopleByIds.Parameters[i].Value = _lookup[Math.Min(first + i, _lookup.Count - 1)];
            }

            using var reader = _peopleByIds.ExecuteReader();
            while (reader.Read())
            {
                var converted = reader.GetInt64(1) == 1 && !reader.IsDBNull(2);
                var id = reader.GetString(0);
                _resolvedIds[id] = converted ? reader.GetString(2) : id;
                wanted.Remove(id);
            }
        }

        _unknownIds.UnionWith(wanted);
    }

    /// <summary>
    /// The members the batch's events may change (campaign modes with members, one person by id), read a few dozen per
    /// statement into the member cache; the ones that do not exist yet are remembered for the batch, so creating them
    /// needs no read first.
    /// </summary>
    private void FindMembers(IReadOnlyList<LocatedResponse> batch)
    {
        var wanted = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var pairs = 0;
        foreach (var located in batch)
        {
            var e = located.Event;
            if (string.IsNullOrWhiteSpace(e.RecipientId)
                || !_resolvedIds.TryGetValue(e.RecipientId.Trim(), out var person)
                || FindCampaign(e.MailingId) is not { HasMembers: true } campaign
                || _members.ContainsKey((campaign.Id, person))
                || !_absentMembers.Add((campaign.Id, person)))
            {
                continue;
            }

            if (!wanted.TryGetValue(campaign.Id, out var people))
            {
                people = [];
                wanted[campaign.Id] = people;
            }

            people.Add(person);
            pairs++;
        }

        if (_members.Count + pairs > CacheLimit)
        {
            _members.Clear();
        }

        foreach (var (campaignId, people) in wanted)
        {
            _membersByPeople.Parameters["$c"].Value = campaignId;
            for (var first = 0; first < people.Count; first += KeysPerLookup)
            {
                for (var i = 0; i < KeysPerLookup; i++)
                {
                    _membersByPeople.Parameters[i].Value = people[Math.Min(first + i, people.Count - 1)];
                }

                using var reader = _membersByPeople.ExecuteReader();
                while (reader.Read())
                {
                    var key = (campaignId, reader.GetString(0));
                    _absentMembers.Remove(key);
                    _members[key] = ReadMember(reader, 1);
                }
            }
        }
    }

    /// <summary>A member row (id, status, updated_at, the updated_at ingest wrote, from column <paramref name="first"/> on); a sync row not yet written wins.</summary>
    private MemberState ReadMember(SqliteDataReader reader, int first)
    {
        var id = reader.GetInt64(first);
        var synced = _pendingSync.TryGetValue(id, out var pending) ? pending
            : reader.IsDBNull(first + 3) ? null : reader.GetString(first + 3);
        return new MemberState(id, reader.GetString(first + 1), reader.GetString(first + 2), synced);
    }

    /// <summary>Where the event was applied before: earlier in this batch (not yet written) or in the ledger.</summary>
    private (string File, long Line)? FindApplied(byte[] key)
    {
        var id = BinaryPrimitives.ReadUInt128BigEndian(key);
        return _batchEvents.TryGetValue(id, out var inBatch) ? inBatch
            : _knownEvents.TryGetValue(id, out var known) ? known
            : null;
    }

    /// <summary>The batch's events the ledger already has, read a few dozen keys per statement instead of one per event.</summary>
    private void FindKnown(byte[][] keys)
    {
        for (var first = 0; first < keys.Length; first += KeysPerLookup)
        {
            for (var i = 0; i < KeysPerLookup; i++)
            {
                // The last chunk repeats its last key in the unused places: IN ignores duplicates.
                _findEvents.Parameters[i].Value = keys[Math.Min(first + i, keys.Length - 1)];
            }

            using var reader = _findEvents.ExecuteReader();
            while (reader.Read())
            {
                var key = (byte[])reader.GetValue(0);
                _knownEvents[BinaryPrimitives.ReadUInt128BigEndian(key)] = (FilePath(reader.GetInt64(1)), reader.GetInt64(2));
            }
        }
    }

    /// <summary>The ledger's number for an archived file, given on its first applied event (a few files per run: cached).</summary>
    private long FileId(string file)
    {
        if (_fileIds.TryGetValue(file, out var id))
        {
            return id;
        }

        Set(_findFileId, "$f", file);
        if (_findFileId.ExecuteScalar() is not long known)
        {
            Set(_insertFile, "$f", file);
            known = (long)_insertFile.ExecuteScalar()!;
        }

        _fileIds[file] = known;
        _filePaths[known] = file;
        return known;
    }

    private string FilePath(long id)
    {
        if (_filePaths.TryGetValue(id, out var file))
        {
            return file;
        }

        Set(_filePath, "$id", id);
        file = (string)_filePath.ExecuteScalar()!;
        _filePaths[id] = file;
        _fileIds[file] = id;
        return file;
    }

    /// <summary>The person part of a bounce or unsubscribe, through suppress's rules and ledger; when nothing is applied, the rule that says why.</summary>
    private async Task<(bool Changed, string IgnoredBecause)> SuppressAsync(ResponseEvent e, List<string> people, LocatedResponse located, CancellationToken ct)
    {
        var kind = e.Type switch
        {
            ResponseEventType.HardBounce => SuppressionKind.Hard,
            ResponseEventType.SoftBounce => SuppressionKind.Soft,
            _ => SuppressionKind.Unsubscribe,
        };

        // The ledger key uses the list as reported (as suppress does); the scope applied follows the settings.
        var reported = new SuppressionEvent(kind, e.RecipientId, e.Email, kind == SuppressionKind.Unsubscribe ? e.ListId : null,
            e.OccurredAt, e.BounceReason, e.MailingId.ToString(CultureInfo.InvariantCulture), "response-export");
        long optInId = 0;
        var applied = reported;
        if (kind == SuppressionKind.Unsubscribe)
        {
            var listId = _settings.ListBasedUnsubscribes ? e.ListId : null;
            if (listId is { } list && !_settings.OptInByListId.TryGetValue(list, out optInId))
            {
                return (false, "unknown-recipient-list");
            }

            applied = listId == reported.ListId ? reported : reported with { ListId = listId };
        }

        if (!await _suppression.TryRecordAsync(reported, located.File, located.Line, ct))
        {
            return (false, "already-applied");
        }

        foreach (var person in people)
        {
            await _suppression.ApplyAsync(applied, person, optInId, located.File, located.Line, ct);
        }

        return (true, string.Empty);
    }

    /// <summary>A member as the writer last saw or wrote it.</summary>
    /// <summary>A member as ingest knows it; <see cref="SyncedAt"/> is the updated_at ingest last wrote (null: never).</summary>
    private sealed record MemberState(long Id, string Status, string UpdatedAt, string? SyncedAt);

    /// <summary>
    /// A member created or changed in the batch, as it will be written at its end: one row per member however many of
    /// the batch's events changed it, several members per statement (a statement per event was most of the time).
    /// </summary>
    private sealed class PendingMember(
        long id, string campaignId, string personId, string status, object responded, string updatedAt, string file, long line, bool isNew)
    {
        public long Id { get; } = id;

        public bool IsNew { get; } = isNew;

        public string CampaignId { get; } = campaignId;

        public string PersonId { get; } = personId;

        public string Status { get; set; } = status;

        public object Responded { get; set; } = responded;

        public string UpdatedAt { get; set; } = updatedAt;

        public string File { get; set; } = file;

        public long Line { get; set; } = line;
    }

    /// <summary>The batch's members in id order (new ones last: appended), a few per statement.</summary>
    private void WriteMembers()
    {
        foreach (var member in _pendingMembers.Values.OrderBy(m => m.Id))
        {
            (member.IsNew ? _newMemberRows : _memberRows)
                .AddRow(member.Id, member.CampaignId, member.PersonId, member.Status, member.Responded, member.UpdatedAt, member.File, member.Line);
        }

        _memberRows.Flush();
        _newMemberRows.Flush();
    }

    /// <summary>Remembered until the end of the batch: a member changed by several events of the batch gets one row.</summary>
    private void Synced(long memberId, string at) => _pendingSync[memberId] = at;

    /// <summary>The batch's <c>campaign_member_sync</c> rows, in member order, several per statement.</summary>
    private void WriteSynced()
    {
        foreach (var (id, at) in _pendingSync.OrderBy(pair => pair.Key))
        {
            _syncRows.Add(id, at);
        }

        _syncRows.Flush();
    }

    private enum MemberChange
    {
        Changed,
        NotNewer,
        CrmNewer,
    }

    private MemberChange Member(
        CampaignLink campaign, string person, string label, MemberStatus status, DateTimeOffset occurredAt, LocatedResponse from)
    {
        var at = CrmTime.Format(occurredAt);
        object responded = status.HasResponded ? CrmTime.FormatDate(DateOnly.FromDateTime(occurredAt.UtcDateTime)) : DBNull.Value;
        var memberKey = (campaign.Id, person);
        _pendingMembers.TryGetValue(memberKey, out var pending);
        var member = pending is not null ? new MemberState(pending.Id, pending.Status, pending.UpdatedAt, pending.UpdatedAt) : null;
        if (member is null && !_members.TryGetValue(memberKey, out member) && !_absentMembers.Contains(memberKey))
        {
            Set(_member, "$c", campaign.Id);
            Set(_member, "$p", person);
            using var reader = _member.ExecuteReader();
            member = reader.Read() ? ReadMember(reader, 0) : null;
        }

        if (member is not null)
        {
            if (Rank(label) >= Rank(member.Status))
            {
                Remember(memberKey, member);
                return MemberChange.NotNewer;
            }

            // Newer than the event and not what ingest itself last wrote: a CRM user changed it after the event.
            if (string.CompareOrdinal(member.UpdatedAt, at) > 0 && member.UpdatedAt != member.SyncedAt)
            {
                Remember(memberKey, member);
                return MemberChange.CrmNewer;
            }
        }

        if (member is null)
        {
            if (_nextMemberId == 0)
            {
                _nextMemberId = (long)_maxMemberId.ExecuteScalar()! + 1;
            }

            var id = _nextMemberId++;
            _pendingMembers[memberKey] = new PendingMember(id, campaign.Id, person, label, responded, at, from.File, from.Line, isNew: true);
            _absentMembers.Remove(memberKey);
            Synced(id, at);
            Remember(memberKey, new MemberState(id, label, at, at));
            Lineage("campaign_member", id.ToString(CultureInfo.InvariantCulture), "member-created", from.File, from.Line);
            return MemberChange.Changed;
        }

        // An earlier event read later (files out of time order) must not move updated_at back.
        at = string.CompareOrdinal(member.UpdatedAt, at) > 0 ? member.UpdatedAt : at;
        if (pending is null)
        {
            _pendingMembers[memberKey] = new PendingMember(member.Id, campaign.Id, person, label, responded, at, from.File, from.Line, isNew: false);
        }
        else
        {
            // As the UPDATE of each event in turn would: the first responded date is the first one given.
            pending.Status = label;
            pending.UpdatedAt = at;
            pending.Responded = pending.Responded is DBNull ? responded : pending.Responded;
            pending.File = from.File;
            pending.Line = from.Line;
        }

        Synced(member.Id, at);
        Remember(memberKey, member with { Status = label, UpdatedAt = at, SyncedAt = at });
        Lineage("campaign_member", member.Id.ToString(CultureInfo.InvariantCulture), "member-status-upgraded", from.File, from.Line);
        return MemberChange.Changed;
    }

    /// <summary>
    /// Keeps a member's state for the next event of the same person (sends, opens and clicks of one person follow each
    /// other); bounded, so memory does not grow with the number of events.
    /// </summary>
    private void Remember((string Campaign, string Person) key, MemberState member)
    {
        if (_members.Count >= CacheLimit && !_members.ContainsKey(key))
        {
            _members.Clear();
        }

        _members[key] = member;
    }

    /// <summary>A label not in the precedence list is weaker than every label in it.</summary>
    private int Rank(string label) => _rank.TryGetValue(label, out var rank) ? rank : int.MaxValue;

    private MemberStatus CreateStatus(CampaignLink campaign, string label, bool responded, LocatedResponse from)
    {
        var status = new MemberStatus(responded, campaign.MaxSortOrder + 1);
        Set(_insertStatus, "$c", campaign.Id);
        Set(_insertStatus, "$label", label);
        Set(_insertStatus, "$responded", responded ? 1 : 0);
        Set(_insertStatus, "$sort", status.SortOrder);
        _insertStatus.ExecuteNonQuery();
        campaign.Statuses[label] = status;
        campaign.MaxSortOrder = status.SortOrder;
        Lineage("campaign_member_status", campaign.Id + ":" + label, "member-status-created", from.File, from.Line);
        return status;
    }

    private bool AddTask(
        CampaignLink campaign, string person, bool severalPeople, string label, ResponseEvent e, byte[] key, LocatedResponse from)
    {
        if (!campaign.Subjects.TryGetValue(label, out var subject))
        {
            subject = _settings.ActivityStatusField is null ? label + " email campaign: " + campaign.Name : "Email campaign: " + campaign.Name;
            subject = subject.Length > SubjectLimit ? subject[..SubjectLimit] : subject;
            campaign.Subjects[label] = subject;
        }

        var hasUrl = !string.IsNullOrEmpty(e.LinkUrl);
        var externalKey = Convert.ToHexStringLower(key);
        Set(_insertTask, "$who", person);
        // Salesforce: a task on a lead has no WhatId.
        Set(_insertTask, "$what", person.StartsWith(LeadPrefix, StringComparison.Ordinal) ? DBNull.Value : campaign.Id);
        Set(_insertTask, "$subject", subject);
        Set(_insertTask, "$description", hasUrl && _settings.ClickedUrlField is null ? e.LinkUrl : DBNull.Value);
        Set(_insertTask, "$date", CrmTime.FormatDate(DateOnly.FromDateTime(e.OccurredAt.UtcDateTime)));
        // A bounce matching several people by address gives each of them a task.
        Set(_insertTask, "$key", severalPeople ? externalKey + "-" + person : externalKey);
        Set(_insertTask, "$file", from.File);
        Set(_insertTask, "$line", from.Line);
        if (_insertTask.ExecuteScalar() is not long taskId)
        {
            return false;
        }

        if (_settings.ActivityStatusField is { } statusField)
        {
            TaskField(taskId, statusField, label);
        }

        if (hasUrl && _settings.ClickedUrlField is { } urlField)
        {
            TaskField(taskId, urlField, e.LinkUrl);
        }

        Lineage("task", taskId.ToString(CultureInfo.InvariantCulture), "task-created", from.File, from.Line);
        return true;
    }

    private void TaskField(long taskId, string field, string value)
    {
        Set(_taskField, "$id", taskId);
        Set(_taskField, "$field", field);
        Set(_taskField, "$value", value);
        _taskField.ExecuteNonQuery();
    }

    private void AppendNote(CampaignLink campaign, string person, string label, ResponseEvent e, LocatedResponse from)
    {
        var externalKey = string.Create(CultureInfo.InvariantCulture, $"mailing-{e.MailingId}-person-{person}");
        var text = string.IsNullOrEmpty(e.LinkUrl)
            ? CrmTime.Format(e.OccurredAt) + " " + label
            : CrmTime.Format(e.OccurredAt) + " " + label + " " + e.LinkUrl;
        Set(_appendNote, "$text", text);
        Set(_appendNote, "$file", from.File);
        Set(_appendNote, "$line", from.Line);
        Set(_appendNote, "$key", externalKey);
        if (_appendNote.ExecuteScalar() is long)
        {
            Lineage("note", externalKey, "note-updated", from.File, from.Line);
            return;
        }

        Set(_insertNote, "$parent", person);
        Set(_insertNote, "$title", campaign.NoteTitle);
        Set(_insertNote, "$text", text);
        Set(_insertNote, "$key", externalKey);
        Set(_insertNote, "$file", from.File);
        Set(_insertNote, "$line", from.Line);
        _insertNote.ExecuteScalar();
        Lineage("note", externalKey, "note-created", from.File, from.Line);
    }

    /// <summary>The people an event belongs to (rule 2 of the class comment), in a list reused for every event.</summary>
    private List<string> Match(ResponseEvent e)
    {
        _people.Clear();
        if (!string.IsNullOrWhiteSpace(e.RecipientId))
        {
            var recipientId = e.RecipientId.Trim();
            if (_resolvedIds.TryGetValue(recipientId, out var known))
            {
                _people.Add(known);
                return _people;
            }

            if (!_unknownIds.Contains(recipientId))
            {
                Set(_personById, "$v", recipientId);
                ReadPeople(_personById);
            }
            if (_people.Count == 1)
            {
                // People are not changed by ingest, so the id (or a converted lead's contact) stays valid for the writer's life.
                if (_resolvedIds.Count >= CacheLimit)
                {
                    _resolvedIds.Clear();
                }

                _resolvedIds[recipientId] = _people[0];
            }
        }

        if (_people.Count == 0 && !string.IsNullOrWhiteSpace(e.Email))
        {
            Set(_personByEmail, "$v", e.Email);
            ReadPeople(_personByEmail);
        }

        return _people;
    }

    private void ReadPeople(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var converted = reader.GetInt64(1) == 1 && !reader.IsDBNull(2);
            var id = converted ? reader.GetString(2) : reader.GetString(0);
            if (!_people.Contains(id, StringComparer.Ordinal))
            {
                _people.Add(id);
            }
        }
    }

    /// <summary>The campaign linked to the mailing, read once per writer (and again after a rollback).</summary>
    private CampaignLink? FindCampaign(long mailingId)
    {
        if (_campaigns.TryGetValue(mailingId, out var cached))
        {
            return cached;
        }

        CampaignLink? campaign = null;
        Set(_campaign, "$m", mailingId);
        using (var reader = _campaign.ExecuteReader())
        {
            if (reader.Read())
            {
                var modeText = reader.GetString(2);
                if (!CampaignLink.TryParseMode(modeText, out var mode))
                {
                    throw new InvalidOperationException($"Campaign {reader.GetString(0)} has an unknown sync mode '{modeText}'.");
                }

                campaign = new CampaignLink(reader.GetString(0), reader.GetString(1), mode);
            }
        }

        if (campaign is not null)
        {
            Set(_statuses, "$c", campaign.Id);
            using var reader = _statuses.ExecuteReader();
            while (reader.Read())
            {
                var sortOrder = reader.GetInt64(2);
                campaign.Statuses[reader.GetString(0)] = new MemberStatus(reader.GetInt64(1) == 1, sortOrder);
                campaign.MaxSortOrder = Math.Max(campaign.MaxSortOrder, sortOrder);
            }
        }

        _campaigns[mailingId] = campaign;
        return campaign;
    }

    /// <summary>The batch's totals, one update per campaign, with one lineage row (the batch's last line).</summary>
    private void WriteTotals(IngestProgress progress)
    {
        foreach (var campaign in _campaigns.Values)
        {
            if (campaign is null || !campaign.HasPendingTotals)
            {
                continue;
            }

            Set(_totals, "$sent", campaign.Sent);
            Set(_totals, "$opened", campaign.Opened);
            Set(_totals, "$clicked", campaign.Clicked);
            Set(_totals, "$bounced", campaign.Bounced);
            Set(_totals, "$unsubscribed", campaign.Unsubscribed);
            Set(_totals, "$c", campaign.Id);
            campaign.ClearTotals();
            _totals.ExecuteNonQuery();
            Lineage("campaign", campaign.Id, "campaign-totals", progress.ArchiveFile, progress.LastLine, count: false);
        }
    }

    private void WriteLedger(IngestProgress progress)
    {
        Set(_ledger, "$name", progress.Name);
        Set(_ledger, "$sha", progress.Sha256);
        Set(_ledger, "$state", progress.FileComplete ? "complete" : "partial");
        Set(_ledger, "$last", progress.LastLine);
        Set(_ledger, "$file", progress.ArchiveFile);
        if (_ledger.ExecuteNonQuery() == 0)
        {
            throw new InvalidOperationException($"The ingest ledger holds another file named '{progress.Name}' (other SHA-256); it is not ingested.");
        }
    }

    private void Lineage(string entity, string key, string change, string file, long line, bool count = true)
    {
        _lineageRows.Add(entity, key, change, file, line);
        if (count)
        {
            Count(change);
        }
    }

    private void Count(string change) => Changes[change] = Changes.GetValueOrDefault(change) + 1;

    /// <summary>
    /// The event's identity for the ledger: the first 16 bytes of the SHA-256 of
    /// <c>type|mailing|recipient id|lower(trim(email))|occurred-at ms|link url</c>, built in reused buffers.
    /// </summary>
    private byte[] EventKey(ResponseEvent e)
    {
        var recipient = e.RecipientId.AsSpan().Trim();
        var email = e.Email.AsSpan().Trim();
        var length = 64 + recipient.Length + email.Length + e.LinkUrl.Length;
        if (_keyChars.Length < length)
        {
            _keyChars = new char[length * 2];
        }

        var chars = _keyChars.AsSpan();
        var n = Append(chars, 0, TypeText(e.Type));
        e.MailingId.TryFormat(chars[n..], out var written, default, CultureInfo.InvariantCulture);
        n = Append(chars, n + written, "|");
        n = Append(chars, n, recipient);
        n = Append(chars, n, "|");
        n += email.ToLowerInvariant(chars[n..]);
        n = Append(chars, n, "|");
        e.OccurredAt.ToUnixTimeMilliseconds().TryFormat(chars[n..], out written, default, CultureInfo.InvariantCulture);
        n = Append(chars, n + written, "|");
        n = Append(chars, n, e.LinkUrl);

        var byteCount = Encoding.UTF8.GetMaxByteCount(n);
        if (_keyBytes.Length < byteCount)
        {
            _keyBytes = new byte[byteCount * 2];
        }

        var bytes = Encoding.UTF8.GetBytes(chars[..n], _keyBytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(_keyBytes.AsSpan(0, bytes), hash);
        return hash[..16].ToArray();
    }

    private static int Append(Span<char> chars, int at, ReadOnlySpan<char> text)
    {
        text.CopyTo(chars[at..]);
        return at + text.Length;
    }

    private static string TypeText(ResponseEventType type) => type switch
    {
        ResponseEventType.Send => "send|",
        ResponseEventType.Open => "open|",
        ResponseEventType.Click => "click|",
        ResponseEventType.SoftBounce => "softbounce|",
        ResponseEventType.HardBounce => "hardbounce|",
        ResponseEventType.Unsubscribe => "unsubscribe|",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private void Enlist(SqliteTransaction? tx)
    {
        _suppression.Enlist(tx);
        _recordEvents.Enlist(tx);
        _lineageRows.Enlist(tx);
        _syncRows.Enlist(tx);
        _memberRows.Enlist(tx);
        _newMemberRows.Enlist(tx);
        foreach (var command in _commands)
        {
            command.Transaction = tx;
        }
    }

    private static void Set(SqliteCommand command, string name, object value) => command.Parameters[name].Value = value;

    /// <summary>A command prepared once per writer: run id and time are fixed, the other parameters are set per call.</summary>
    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        if (sql.Contains("$run", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$run", _settings.RunId);
        }

        if (sql.Contains("$now", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$now", _now);
        }

        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        }

        _commands.Add(command);
        return command;
    }
}
