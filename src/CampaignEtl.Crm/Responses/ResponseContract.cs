namespace CampaignEtl.Crm.Responses;

/// <summary>An event of the platform's daily response export (schemas/response-export.csv-metadata.json).</summary>
public enum ResponseEventType
{
    Send,
    Open,
    Click,
    SoftBounce,
    HardBounce,
    Unsubscribe,
}

/// <summary>
/// One parsed response event. <see cref="RecipientId"/> is the CRM person id when the refill used it; <see cref="Email"/>
/// is the fallback for matching, as in suppress. <see cref="LinkUrl"/> and <see cref="BounceReason"/> are empty where
/// the event type has none.
/// </summary>
public sealed record ResponseEvent(
    ResponseEventType Type, DateTimeOffset OccurredAt, long MailingId, string RecipientId, string Email, long? ListId, string LinkUrl, string BounceReason);

/// <summary>An event and where it was read: the archived file (relative archive path) and its line.</summary>
public readonly record struct LocatedResponse(ResponseEvent Event, string File, long Line);

/// <summary>How one event ended: applied, ignored (by a named rule) or rejected (by a named reason).</summary>
public enum ResponseOutcome
{
    Applied,
    Ignored,
    Rejected,
}

/// <summary>
/// The result of one event. <see cref="Rule"/> names why it was ignored or rejected (e.g. <c>mailing-not-linked</c>,
/// <c>already-applied</c>, <c>unknown-recipient</c>, <c>unknown-member-status</c>, <c>duplicate-row</c>), empty when applied.
/// <see cref="Detail"/> is safe to archive (ids and labels, never an address).
/// </summary>
public readonly record struct ResponseResult(ResponseOutcome Outcome, string Rule, string Detail)
{
    public static ResponseResult Applied { get; } = new(ResponseOutcome.Applied, string.Empty, string.Empty);

    public static ResponseResult Ignore(string rule, string detail = "") => new(ResponseOutcome.Ignored, rule, detail);

    public static ResponseResult Reject(string reason, string detail = "") => new(ResponseOutcome.Rejected, reason, detail);
}

/// <summary>Where a response export file stands in the ingest ledger (table <c>ingested_file</c>).</summary>
public enum IngestFileState
{
    /// <summary>Some batches committed; <see cref="IngestLedgerEntry.LastLine"/> is the last line applied.</summary>
    Partial,

    /// <summary>Every row applied: the file is never ingested again.</summary>
    Complete,
}

/// <summary>A file's ledger entry: keyed by name; the SHA-256 of its bytes tells the same file from another with that name.</summary>
public sealed record IngestLedgerEntry(string Name, string Sha256, IngestFileState State, long LastLine, string RunId, string ArchiveFile, DateTimeOffset UpdatedAt);

/// <summary>
/// What a batch moves the ledger to, written in the batch's own transaction: the file's name and hash, the last line
/// of the batch, and whether it is the file's last batch (then the entry becomes <see cref="IngestFileState.Complete"/>).
/// </summary>
public sealed record IngestProgress(string Name, string Sha256, string ArchiveFile, long LastLine, bool FileComplete);

/// <summary>
/// How ingest maps events onto the CRM: the member status label per event type, their precedence (first = strongest),
/// whether a label a campaign does not define is created, how an unsubscribe is scoped, and the Activity mode's fields.
/// </summary>
public sealed record ResponseSettings(
    string RunId,
    DateTimeOffset Now,
    IReadOnlyDictionary<ResponseEventType, string> StatusLabels,
    IReadOnlyList<string> StatusPrecedence,
    bool CreateMissingStatuses,
    bool ListBasedUnsubscribes,
    IReadOnlyDictionary<long, long> OptInByListId,
    int SoftBounceThreshold,
    string? ActivityStatusField,
    string? ClickedUrlField);
