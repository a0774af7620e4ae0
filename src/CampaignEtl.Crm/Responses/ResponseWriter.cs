using System.Buffers.Binary;
using System.Globalization;
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
/// <item><b>Event ledger</b> (<c>response_event_ledger</c>, key: mailing, recipient id and the first 16 bytes of the
/// SHA-256 of type, mailing, recipient id, trimmed lower-case address, time in milliseconds and link URL). The same event already applied
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
/// manual edit after it is kept), and <c>campaign_member.ingest_updated_at</c> remembers that value: a member whose <c>updated_at</c>
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

    private readonly SqliteConnection _connection;
    private readonly ResponseSettings _settings;
    private readonly SuppressionRules _suppression;
    private readonly string _now;
    private readonly Dictionary<string, int> _rank;
    private readonly Dictionary<long, CampaignLink?> _campaigns = [];
    private readonly List<string> _people = [];
    private readonly Dictionary<string, string> _resolvedIds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unknownIds = new(StringComparer.Ordinal);
    private readonly Dictionary<UInt128, (string File, long Line)> _knownEvents = [];
    private readonly Dictionary<UInt128, AppliedEvent> _batchEvents = [];
    private readonly List<MemberEntry> _changedMembers = [];
    private readonly List<AppliedEvent> _appliedInOrder = [];

    // Reused from batch to batch: a batch's worth of entries would otherwise be a large-object allocation each time.
    private readonly List<EventKey> _singleKeys = [];
    private readonly HashSet<string> _wantedPeople = new(StringComparer.Ordinal);
    private readonly Dictionary<CampaignLink, HashSet<string>> _wantedMembers = [];
    private readonly Dictionary<string, long> _batchChanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _fileIds = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _filePaths = [];
    private readonly List<NativeStatement> _statements = [];
    private readonly List<SqliteCommand> _commands = [];
    private int _memberEntries;
    private long _nextMemberId;
    private string _dateOf = string.Empty;
    private DateOnly _date;

    // Per-event statements, bound by position (see NativeStatement).
    private readonly NativeStatement _findEvent;
    private readonly NativeStatement _findEventRange;
    private readonly NativeStatement _recordEvent;
    private readonly NativeStatement? _findLegacyEvent;
    private readonly NativeStatement _personById;
    private readonly NativeStatement _peopleInRange;
    private readonly NativeStatement _memberByPerson;
    private readonly NativeStatement _membersInRange;
    private readonly NativeStatement _insertMember;
    private readonly NativeStatement _updateMember;
    private readonly NativeStatement _lineage;
    private readonly NativeStatement _insertTask;
    private readonly NativeStatement _taskField;

    // Rare or once-per-batch statements.
    private readonly SqliteCommand _findFileId;
    private readonly SqliteCommand _insertFile;
    private readonly SqliteCommand _filePath;
    private readonly SqliteCommand _personByEmail;
    private readonly SqliteCommand _campaign;
    private readonly SqliteCommand _statuses;
    private readonly SqliteCommand _insertStatus;
    private readonly SqliteCommand _maxMemberId;
    private readonly SqliteCommand _appendNote;
    private readonly SqliteCommand _insertNote;
    private readonly SqliteCommand _totals;
    private readonly SqliteCommand _fileLedger;

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

        _findEvent = Native("SELECT file_id, line FROM response_event_ledger WHERE mailing_id = $m AND recipient_id = $r AND event_hash = $h");
        _findEventRange = Native(
            "SELECT event_hash, file_id, line FROM response_event_ledger WHERE mailing_id = $m AND recipient_id BETWEEN $first AND $last LIMIT $limit");
        _recordEvent = Native("INSERT INTO response_event_ledger (mailing_id, recipient_id, event_hash, file_id, line) VALUES ($m, $r, $h, $file, $line)");
        _findLegacyEvent = HasLegacyLedger(connection) ? Native("SELECT file_id, line FROM response_event WHERE event_key = $h") : null;
        _personById = Native("SELECT is_converted, converted_contact_id FROM person WHERE id = $id");
        _peopleInRange = Native("SELECT id, is_converted, converted_contact_id FROM person WHERE id BETWEEN $first AND $last LIMIT $limit");
        _memberByPerson = Native("SELECT id, status, updated_at, ingest_updated_at FROM campaign_member WHERE campaign_id = $c AND person_id = $p");
        _membersInRange = Native("""
            SELECT person_id, id, status, updated_at, ingest_updated_at FROM campaign_member
            WHERE campaign_id = $c AND person_id BETWEEN $first AND $last
            LIMIT $limit
            """);
        // The member statements share their parameters' numbers: ?1 id, ?2 status, ?3 updated_at (also remembered as the
        // one ingest wrote), ?4 first responded date, ?5 file, ?6 line (and the insert's ?7 campaign, ?8 person). New
        // members by a plain INSERT: should another writer ever have taken one of the ids, the batch fails instead of
        // overwriting its member.
        _insertMember = Native("""
            INSERT INTO campaign_member (id, status, updated_at, ingest_updated_at, first_responded_date, lineage_file, lineage_line, campaign_id, person_id, created_at, lineage_run_id)
            VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, $now, $run)
            """);
        _updateMember = Native("""
            UPDATE campaign_member SET status = ?2, updated_at = ?3, ingest_updated_at = ?3, first_responded_date = coalesce(first_responded_date, ?4),
                lineage_file = ?5, lineage_line = ?6, lineage_run_id = $run
            WHERE id = ?1
            """);
        _lineage = Native(
            "INSERT INTO change_lineage (entity, entity_key, change, archive_file, line, changed_at, run_id) VALUES (?1, ?2, ?3, ?4, ?5, $now, $run)");
        _insertTask = Native("""
            INSERT INTO task (who_id, what_id, subject, description, activity_date, external_key, lineage_file, lineage_line, status, task_subtype, created_at, lineage_run_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'Completed', 'Email', $now, $run)
            ON CONFLICT (external_key) DO NOTHING
            RETURNING id
            """);
        _taskField = Native("INSERT INTO task_custom_field (task_id, field, value) VALUES (?1, ?2, ?3)");
        _findFileId = Command("SELECT id FROM response_file WHERE archive_file = $f", "$f");
        _insertFile = Command("INSERT INTO response_file (archive_file, run_id) VALUES ($f, $run) RETURNING id", "$f");
        _filePath = Command("SELECT archive_file FROM response_file WHERE id = $id", "$id");
        _personByEmail = Command("SELECT id, is_converted, converted_contact_id FROM person WHERE email_normalized = lower(trim($v)) ORDER BY id", "$v");
        _campaign = Command("SELECT id, name, sync_mode FROM campaign WHERE platform_mailing_id = $m", "$m");
        _statuses = Command("SELECT label, has_responded, sort_order FROM campaign_member_status WHERE campaign_id = $c", "$c");
        _insertStatus = Command(
            "INSERT INTO campaign_member_status (campaign_id, label, has_responded, is_default, sort_order) VALUES ($c, $label, $responded, 0, $sort)",
            "$c", "$label", "$responded", "$sort");
        // The batch runs in a BEGIN IMMEDIATE transaction (the write lock is held from its start), so the ids after the
        // largest are ours: the ones SQLite itself would give.
        _maxMemberId = Command("SELECT coalesce(max(id), 0) FROM campaign_member");
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
        _fileLedger = Command("""
            INSERT INTO ingested_file (name, sha256, state, last_line, run_id, archive_file, created_at, updated_at)
            VALUES ($name, $sha, $state, $last, $run, $file, $now, $now)
            ON CONFLICT (name) DO UPDATE SET state = excluded.state, last_line = excluded.last_line, run_id = excluded.run_id,
                archive_file = excluded.archive_file, updated_at = excluded.updated_at
            WHERE ingested_file.sha256 = excluded.sha256
            """, "$name", "$sha", "$state", "$last", "$file");
    }

    private enum MemberChange
    {
        Changed,
        NotNewer,
        CrmNewer,
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
    public Task<IReadOnlyList<ResponseResult>> ApplyBatchAsync(
        IReadOnlyList<LocatedResponse> batch, IngestProgress progress, bool commit, CancellationToken ct) =>
        ApplyBatchAsync(ResponseBatch.Of(batch), progress, commit, ct);

    /// <inheritdoc cref="ApplyBatchAsync(IReadOnlyList{LocatedResponse}, IngestProgress, bool, CancellationToken)"/>
    public async Task<IReadOnlyList<ResponseResult>> ApplyBatchAsync(
        ResponseBatch responses, IngestProgress progress, bool commit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(progress);
        var batch = responses.Events;
        var keys = responses.Keys;
        var results = responses.Results();
        await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync(ct);
        Enlist(tx);
        var committed = false;
        try
        {
            FindKnown(keys);
            FindPeople(batch);
            FindMembers(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                results[i] = Apply(batch[i], keys[i]);
            }

            WriteTotals(progress);
            RecordEvents();
            WriteMembers();
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
            foreach (var (change, count) in _batchChanges)
            {
                Changes[change] = Changes.GetValueOrDefault(change) + count;
            }

            _batchChanges.Clear();
            _batchEvents.Clear();
            _knownEvents.Clear();
            _changedMembers.Clear();
            _nextMemberId = 0;
            _unknownIds.Clear();
            if (!committed)
            {
                // Statuses and members written in a rolled-back transaction are gone: read them again.
                _campaigns.Clear();
                _wantedMembers.Clear();
                _memberEntries = 0;
                _fileIds.Clear();
                _filePaths.Clear();
            }
        }

        return new ArraySegment<ResponseResult>(results, 0, batch.Count);
    }

    public async ValueTask DisposeAsync()
    {
        _suppression.Dispose();
        foreach (var statement in _statements)
        {
            statement.Dispose();
        }

        foreach (var command in _commands)
        {
            await command.DisposeAsync();
        }

        await _connection.DisposeAsync();
    }

    /// <summary>One event (rules in the class comment).</summary>
    private ResponseResult Apply(LocatedResponse located, EventKey key)
    {
        var e = located.Event;
        if (FindApplied(key.Hash) is { } applied)
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
            (changed, ignoredBecause) = Suppress(e, people, located);
        }

        if (campaign is not null)
        {
            foreach (var person in people)
            {
                if (status is not null)
                {
                    // A status kept is not an event lost: it still counts in the campaign's totals below.
                    switch (ApplyToMember(campaign, person, label, status, e.OccurredAt, located))
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
                    changed |= AddTask(campaign, person, people.Count > 1, label, e, key.Hash, located);
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

        _batchEvents[key.Hash] = new AppliedEvent(key, located.File, located.Line);
        return ResponseResult.Applied;
    }

    /// <summary>
    /// The batch's applied events into the ledger, in key order (mailing, recipient, hash): an export lists a mailing's
    /// events recipient by recipient, so the rows land next to each other.
    /// </summary>
    private void RecordEvents()
    {
        var applied = _appliedInOrder;
        applied.Clear();
        applied.AddRange(_batchEvents.Values);
        applied.Sort(static (a, b) =>
            a.Key.MailingId != b.Key.MailingId ? a.Key.MailingId.CompareTo(b.Key.MailingId)
            : string.CompareOrdinal(a.Key.RecipientId, b.Key.RecipientId) is var byRecipient and not 0 ? byRecipient
            : a.Key.Hash.CompareTo(b.Key.Hash));
        Span<byte> hash = stackalloc byte[16];
        foreach (var (key, file, line) in applied)
        {
            BinaryPrimitives.WriteUInt128BigEndian(hash, key.Hash);
            _recordEvent.Bind(1, key.MailingId).Bind(2, key.RecipientId).Bind(3, hash).Bind(4, FileId(file)).Bind(5, line).Execute();
        }
    }

    /// <summary>
    /// The batch's events the ledger already has. The ledger is keyed by mailing and recipient id first, and an export
    /// lists a mailing's events recipient by recipient, so a batch's events of one mailing usually span a short range of
    /// recipient ids: the ledger's rows in that range are read in one statement. When the range holds many more rows
    /// than the batch has events (an export in another order), each event is looked up on its own instead. A CRM whose
    /// ledger an earlier build kept by hash alone (<c>response_event</c>) is asked too, so events applied before the
    /// upgrade are still known.
    /// </summary>
    private void FindKnown(IReadOnlyList<EventKey> keys)
    {
        var single = _singleKeys;
        single.Clear();
        foreach (var range in RecipientRanges(keys, single))
        {
            if (!ReadRange(range))
            {
                single.AddRange(keys.Where(k => k.MailingId == range.Id && InRange(k.RecipientId, range)));
            }
        }

        Span<byte> hash = stackalloc byte[16];
        foreach (var key in single)
        {
            BinaryPrimitives.WriteUInt128BigEndian(hash, key.Hash);
            if (Find(_findEvent.Bind(1, key.MailingId).Bind(2, key.RecipientId).Bind(3, hash)) is { } at)
            {
                _knownEvents[key.Hash] = at;
            }
        }

        if (_findLegacyEvent is not null)
        {
            foreach (var key in keys.Where(k => !_knownEvents.ContainsKey(k.Hash)))
            {
                BinaryPrimitives.WriteUInt128BigEndian(hash, key.Hash);
                if (Find(_findLegacyEvent.Bind(1, hash)) is { } at)
                {
                    _knownEvents[key.Hash] = at;
                }
            }
        }

        (string File, long Line)? Find(NativeStatement statement)
        {
            try
            {
                return statement.Read() ? (FilePath(statement.GetInt64(0)), statement.GetInt64(1)) : null;
            }
            finally
            {
                statement.Reset();
            }
        }

        bool ReadRange(KeyRange range)
        {
            var statement = _findEventRange.Bind(1, range.Id).Bind(2, range.First).Bind(3, range.Last).Bind(4, range.Limit);
            var rows = 0L;
            try
            {
                while (statement.Read())
                {
                    if (++rows == range.Limit)
                    {
                        return false;
                    }

                    _knownEvents[BinaryPrimitives.ReadUInt128BigEndian(statement.GetBlob(0))] = (FilePath(statement.GetInt64(1)), statement.GetInt64(2));
                }

                return true;
            }
            finally
            {
                statement.Reset();
            }
        }
    }

    /// <summary>
    /// Per mailing, the smallest and largest recipient id of the batch's events, for reading the ledger's rows between
    /// them at once. An empty id (an event matched by address) or one that is not ASCII (SQLite orders text by its UTF-8
    /// bytes, this code by UTF-16 units) goes to <paramref name="single"/> instead.
    /// </summary>
    private static List<KeyRange> RecipientRanges(IReadOnlyList<EventKey> keys, List<EventKey> single)
    {
        var ranges = new Dictionary<long, KeyRange>();
        foreach (var key in keys)
        {
            if (!Rangeable(key.RecipientId))
            {
                single.Add(key);
                continue;
            }

            ranges[key.MailingId] = ranges.TryGetValue(key.MailingId, out var range) ? range.With(key.RecipientId) : new KeyRange(key.MailingId, key.RecipientId, key.RecipientId, 1);
        }

        return [.. ranges.Values];
    }

    /// <summary>
    /// The ids from <see cref="First"/> to <see cref="Last"/> (ordinal) that <see cref="Count"/> keys of one mailing fall
    /// into; a range read stops at <see cref="Limit"/> rows and gives way to single lookups.
    /// </summary>
    private readonly record struct KeyRange(long Id, string First, string Last, int Count)
    {
        public long Limit => (4L * Count) + 64;

        public KeyRange With(string id) => new(
            Id,
            string.CompareOrdinal(id, First) < 0 ? id : First,
            string.CompareOrdinal(id, Last) > 0 ? id : Last,
            Count + 1);
    }

    private static bool Rangeable(string id) => id.Length > 0 && Ascii.IsValid(id);

    private static bool InRange(string id, KeyRange range) =>
        Rangeable(id) && string.CompareOrdinal(id, range.First) >= 0 && string.CompareOrdinal(id, range.Last) <= 0;

    /// <summary>
    /// The people the batch's recipient ids name, into the id cache, in one read of the people between the smallest and
    /// the largest id (an export lists recipient by recipient); ids in that range the CRM does not have are remembered
    /// as unknown for the batch. A range holding many more people than the batch names (a mailing to a part of the CRM)
    /// is left to single reads.
    /// </summary>
    private void FindPeople(List<LocatedResponse> batch)
    {
        if (_resolvedIds.Count + batch.Count > CacheLimit)
        {
            _resolvedIds.Clear();
        }

        var wanted = _wantedPeople;
        wanted.Clear();
        foreach (var located in batch)
        {
            var id = located.Event.RecipientId;
            if (string.IsNullOrWhiteSpace(id))
            {
                continue;
            }

            id = id.Trim();
            if (Rangeable(id) && !_resolvedIds.ContainsKey(id) && !_unknownIds.Contains(id))
            {
                wanted.Add(id);
            }
        }

        if (wanted.Count == 0)
        {
            return;
        }

        var limit = (4L * wanted.Count) + 64;
        var rows = 0L;
        var statement = _peopleInRange.Bind(1, wanted.Min(StringComparer.Ordinal)).Bind(2, wanted.Max(StringComparer.Ordinal)).Bind(3, limit);
        var found = 0;
        try
        {
            while (rows < limit && statement.Read())
            {
                rows++;
                var id = statement.GetString(0);
                if (wanted.Contains(id))
                {
                    _resolvedIds[id] = statement.GetInt64(1) == 1 && !statement.IsNull(2) ? statement.GetString(2) : id;
                    found++;
                }
            }
        }
        finally
        {
            statement.Reset();
        }

        // All the range's people were read: the others are not in the CRM.
        if (rows < limit && found < wanted.Count)
        {
            _unknownIds.UnionWith(wanted.Where(id => !_resolvedIds.ContainsKey(id)));
        }
    }

    /// <summary>
    /// The members the batch's events may change (campaign modes with members, one person by id), per campaign in one
    /// read of the members between the smallest and the largest person id (an export lists recipient by recipient);
    /// the ones that do not exist yet are remembered as absent, so creating them needs no read first. A range holding
    /// many more members than the batch names is left to single reads when needed. The member cache starts again
    /// between batches when it is full, never within one (a member changed earlier in the batch must be found again).
    /// </summary>
    private void FindMembers(List<LocatedResponse> batch)
    {
        if (_memberEntries + batch.Count > CacheLimit)
        {
            foreach (var campaign in _campaigns.Values)
            {
                campaign?.Members.Clear();
            }

            _memberEntries = 0;
        }

        var wanted = _wantedMembers;
        foreach (var people in wanted.Values)
        {
            people.Clear();
        }

        foreach (var located in batch)
        {
            var e = located.Event;
            if (string.IsNullOrWhiteSpace(e.RecipientId)
                || ResolveId(e.RecipientId.Trim()) is not { } person
                || !Rangeable(person)
                || FindCampaign(e.MailingId) is not { HasMembers: true } campaign
                || campaign.Members.ContainsKey(person))
            {
                continue;
            }

            if (!wanted.TryGetValue(campaign, out var people))
            {
                people = new HashSet<string>(StringComparer.Ordinal);
                wanted[campaign] = people;
            }

            people.Add(person);
        }

        foreach (var (campaign, people) in wanted)
        {
            if (people.Count == 0)
            {
                continue;
            }

            var limit = (4L * people.Count) + 64;
            var rows = 0L;
            var statement = _membersInRange.Bind(1, campaign.Id).Bind(2, people.Min(StringComparer.Ordinal)).Bind(3, people.Max(StringComparer.Ordinal)).Bind(4, limit);
            try
            {
                while (rows < limit && statement.Read())
                {
                    rows++;
                    var person = statement.GetString(0);
                    if (people.Contains(person))
                    {
                        Remember(campaign, person, ReadMemberRow(statement, 1));
                    }
                }
            }
            finally
            {
                statement.Reset();
            }

            // All the range's members were read: the others do not exist yet.
            if (rows < limit)
            {
                foreach (var person in people.Where(p => !campaign.Members.ContainsKey(p)))
                {
                    Remember(campaign, person, new MemberEntry());
                }
            }
        }
    }

    /// <summary>The member of a campaign and person as stored; an absent one (to be created) when there is none.</summary>
    private MemberEntry ReadMember(string campaignId, string person)
    {
        _memberByPerson.Bind(1, campaignId).Bind(2, person);
        try
        {
            return _memberByPerson.Read() ? ReadMemberRow(_memberByPerson, 0) : new MemberEntry();
        }
        finally
        {
            _memberByPerson.Reset();
        }
    }

    /// <summary>A member row (id, status, updated_at, the updated_at ingest wrote, from column <paramref name="first"/> on).</summary>
    private static MemberEntry ReadMemberRow(NativeStatement statement, int first) => new()
    {
        Id = statement.GetInt64(first),
        Status = statement.GetString(first + 1),
        UpdatedAt = statement.GetString(first + 2),
        IngestUpdatedAt = statement.IsNull(first + 3) ? null : statement.GetString(first + 3),
    };

    private void Remember(CampaignLink campaign, string person, MemberEntry member)
    {
        if (campaign.Members.TryAdd(person, member))
        {
            _memberEntries++;
        }
    }

    /// <summary>Where the event was applied before: earlier in this batch (not yet written) or in the ledger.</summary>
    private (string File, long Line)? FindApplied(UInt128 hash) =>
        _batchEvents.TryGetValue(hash, out var inBatch) ? (inBatch.File, inBatch.Line)
            : _knownEvents.TryGetValue(hash, out var known) ? known
            : null;

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
    private (bool Changed, string IgnoredBecause) Suppress(ResponseEvent e, List<string> people, LocatedResponse located)
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

        if (!_suppression.TryRecord(reported, located.File, located.Line))
        {
            return (false, "already-applied");
        }

        foreach (var person in people)
        {
            _suppression.Apply(applied, person, optInId, located.File, located.Line);
        }

        return (true, string.Empty);
    }

    /// <summary>
    /// The member part of an event: the member as the writer knows it (its cache, or the CRM), changed in memory; the
    /// batch writes each changed member once at its end, however many of its events changed it.
    /// </summary>
    private MemberChange ApplyToMember(
        CampaignLink campaign, string person, string label, MemberStatus status, DateTimeOffset occurredAt, LocatedResponse from)
    {
        var at = CrmTime.Format(occurredAt);
        if (!campaign.Members.TryGetValue(person, out var member))
        {
            member = ReadMember(campaign.Id, person);
            Remember(campaign, person, member);
        }

        string change;
        if (member.Exists)
        {
            if (Rank(label) >= Rank(member.Status))
            {
                return MemberChange.NotNewer;
            }

            // Newer than the event and not what ingest itself last wrote: a CRM user changed it after the event.
            if (string.CompareOrdinal(member.UpdatedAt, at) > 0 && member.UpdatedAt != member.IngestUpdatedAt)
            {
                return MemberChange.CrmNewer;
            }

            // An earlier event read later (files out of time order) must not move updated_at back.
            at = string.CompareOrdinal(member.UpdatedAt, at) > 0 ? member.UpdatedAt : at;
            change = "member-status-upgraded";
        }
        else
        {
            if (_nextMemberId == 0)
            {
                _nextMemberId = (long)_maxMemberId.ExecuteScalar()! + 1;
            }

            member.Id = _nextMemberId++;
            member.IsNew = true;
            change = "member-created";
        }

        var responded = status.HasResponded ? DateText(occurredAt) : null;
        if (!member.Changed)
        {
            member.Changed = true;
            member.Responded = responded;
            member.CampaignId = campaign.Id;
            member.PersonId = person;
            _changedMembers.Add(member);
        }
        else
        {
            // As the UPDATE of each event in turn would: the first responded date is the first one given.
            member.Responded ??= responded;
        }

        member.Status = label;
        member.UpdatedAt = at;
        member.IngestUpdatedAt = at;
        member.File = from.File;
        member.Line = from.Line;
        Lineage("campaign_member", member.Id, change, from.File, from.Line);
        return MemberChange.Changed;
    }

    /// <summary>The batch's changed members in id order (new ones last: appended), one row each.</summary>
    private void WriteMembers()
    {
        _changedMembers.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var member in _changedMembers)
        {
            var statement = member.IsNew ? _insertMember.Bind(7, member.CampaignId).Bind(8, member.PersonId) : _updateMember;
            statement.Bind(1, member.Id).Bind(2, member.Status).Bind(3, member.UpdatedAt).Bind(4, member.Responded)
                .Bind(5, member.File).Bind(6, member.Line).Execute();
            member.Changed = false;
            member.IsNew = false;
        }
    }

    /// <summary>The UTC date of an instant as the CRM writes dates; the last one is kept (a file's events share few dates).</summary>
    private string DateText(DateTimeOffset instant)
    {
        var date = DateOnly.FromDateTime(instant.UtcDateTime);
        if (date != _date || _dateOf.Length == 0)
        {
            (_date, _dateOf) = (date, CrmTime.FormatDate(date));
        }

        return _dateOf;
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
        CampaignLink campaign, string person, bool severalPeople, string label, ResponseEvent e, UInt128 key, LocatedResponse from)
    {
        if (!campaign.Subjects.TryGetValue(label, out var subject))
        {
            subject = _settings.ActivityStatusField is null ? label + " email campaign: " + campaign.Name : "Email campaign: " + campaign.Name;
            subject = subject.Length > SubjectLimit ? subject[..SubjectLimit] : subject;
            campaign.Subjects[label] = subject;
        }

        var hasUrl = !string.IsNullOrEmpty(e.LinkUrl);
        Span<byte> keyBytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(keyBytes, key);
        var externalKey = Convert.ToHexStringLower(keyBytes);
        // Salesforce: a task on a lead has no WhatId. A bounce matching several people by address gives each of them a task.
        _insertTask.Bind(1, person).Bind(2, person.StartsWith(LeadPrefix, StringComparison.Ordinal) ? null : campaign.Id).Bind(3, subject)
            .Bind(4, hasUrl && _settings.ClickedUrlField is null ? e.LinkUrl : null).Bind(5, CrmTime.FormatDate(DateOnly.FromDateTime(e.OccurredAt.UtcDateTime)))
            .Bind(6, severalPeople ? externalKey + "-" + person : externalKey).Bind(7, from.File).Bind(8, from.Line);
        long taskId;
        try
        {
            // No row back: a task with this key exists (the event was applied before).
            if (!_insertTask.Read())
            {
                return false;
            }

            taskId = _insertTask.GetInt64(0);
        }
        finally
        {
            _insertTask.Reset();
        }

        if (_settings.ActivityStatusField is { } statusField)
        {
            TaskField(taskId, statusField, label);
        }

        if (hasUrl && _settings.ClickedUrlField is { } urlField)
        {
            TaskField(taskId, urlField, e.LinkUrl);
        }

        Lineage("task", taskId, "task-created", from.File, from.Line);
        return true;
    }

    private void TaskField(long taskId, string field, string value)
    {
        _taskField.Bind(1, taskId).Bind(2, field).Bind(3, value).Execute();
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
            if (ResolveId(recipientId) is { } person)
            {
                _people.Add(person);
                return _people;
            }
        }

        if (_people.Count == 0 && !string.IsNullOrWhiteSpace(e.Email))
        {
            Set(_personByEmail, "$v", e.Email);
            ReadPeople(_personByEmail);
        }

        return _people;
    }

    /// <summary>
    /// The person a recipient id stands for (a converted lead: its contact), cached: people are not changed by ingest, so
    /// it stays valid for the writer's life. Null when the CRM has no such id (remembered for the batch).
    /// </summary>
    private string? ResolveId(string recipientId)
    {
        if (_resolvedIds.TryGetValue(recipientId, out var known))
        {
            return known;
        }

        if (_unknownIds.Contains(recipientId))
        {
            return null;
        }

        _personById.Bind(1, recipientId);
        try
        {
            if (!_personById.Read())
            {
                _unknownIds.Add(recipientId);
                return null;
            }

            var person = _personById.GetInt64(0) == 1 && !_personById.IsNull(1) ? _personById.GetString(1) : recipientId;
            if (_resolvedIds.Count >= CacheLimit)
            {
                _resolvedIds.Clear();
            }

            _resolvedIds[recipientId] = person;
            return person;
        }
        finally
        {
            _personById.Reset();
        }
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
        Set(_fileLedger, "$name", progress.Name);
        Set(_fileLedger, "$sha", progress.Sha256);
        Set(_fileLedger, "$state", progress.FileComplete ? "complete" : "partial");
        Set(_fileLedger, "$last", progress.LastLine);
        Set(_fileLedger, "$file", progress.ArchiveFile);
        if (_fileLedger.ExecuteNonQuery() == 0)
        {
            throw new InvalidOperationException($"The ingest ledger holds another file named '{progress.Name}' (other SHA-256); it is not ingested.");
        }
    }

    private void Lineage(string entity, long key, string change, string file, long line)
    {
        // entity_key is TEXT: SQLite stores the number as its text, without a string per row here.
        _lineage.Bind(1, entity).Bind(2, key).Bind(3, change).Bind(4, file).Bind(5, line).Execute();
        Count(change);
    }

    private void Lineage(string entity, string key, string change, string file, long line, bool count = true)
    {
        _lineage.Bind(1, entity).Bind(2, key).Bind(3, change).Bind(4, file).Bind(5, line).Execute();
        if (count)
        {
            Count(change);
        }
    }

    /// <summary>Counted per batch, added to <see cref="Changes"/> at its end (a sorted dictionary per event cost more than the rest of the count).</summary>
    private void Count(string change) => _batchChanges[change] = _batchChanges.GetValueOrDefault(change) + 1;

    /// <summary>An event applied in the current batch, for the ledger at its end (and for a duplicate row later in the batch).</summary>
    private readonly record struct AppliedEvent(EventKey Key, string File, long Line);

    private void Enlist(SqliteTransaction? tx)
    {
        foreach (var command in _commands)
        {
            command.Transaction = tx;
        }
    }

    private static void Set(SqliteCommand command, string name, object value) => command.Parameters[name].Value = value;

    /// <summary>A native statement prepared once per writer, with the run id and time bound once (a reset keeps bindings).</summary>
    private NativeStatement Native(string sql)
    {
        var statement = new NativeStatement(_connection, sql);
        _statements.Add(statement); // first, so that it is disposed with the others whatever follows
        return statement.BindIfPresent("$run", _settings.RunId).BindIfPresent("$now", _now);
    }

    /// <summary>Whether the CRM still has the event ledger of earlier builds (keyed by hash alone) with rows in it.</summary>
    private static bool HasLegacyLedger(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'response_event'";
        if (command.ExecuteScalar() is null)
        {
            return false;
        }

        command.CommandText = "SELECT EXISTS (SELECT 1 FROM response_event)";
        return command.ExecuteScalar() is long exists && exists == 1;
    }

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
