using System.Globalization;
using CampaignEtl.Crm.Responses;

namespace CampaignEtl.Pipeline.Ingest;

/// <summary>Why a row was not taken: the column at fault (its header name), a reason code and a detail without personal data.</summary>
internal sealed record RowProblem(string Column, string Reason, string Detail, string RecipientId = "");

/// <summary>
/// One file's header mapped onto the logical columns (Ingest:Columns): header-driven and order-independent, header
/// names matched trimmed and case-insensitively, extra columns ignored. Turns a record's fields into a response event.
/// </summary>
internal sealed class ResponseColumnMap
{
    private static readonly string[] IsoUtcFormats = ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    private readonly IReadOnlyDictionary<string, ResponseEventType> _eventTypes;
    private readonly IReadOnlyDictionary<string, string> _names;
    private readonly int _eventType;
    private readonly int _occurredAt;
    private readonly int _mailingId;
    private readonly int _recipientId;
    private readonly int _email;
    private readonly int _listId;
    private readonly int _linkUrl;
    private readonly int _bounceReason;

    private ResponseColumnMap(string[] header, IReadOnlyDictionary<string, string> columns, IReadOnlyDictionary<string, ResponseEventType> eventTypes)
    {
        _names = columns;
        _eventTypes = eventTypes;
        HeaderLength = header.Length;
        int Find(string logical) => columns.TryGetValue(logical, out var name)
            ? Array.FindIndex(header, h => string.Equals(h.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase))
            : -1;
        _eventType = Find("EventType");
        _occurredAt = Find("OccurredAt");
        _mailingId = Find("MailingId");
        _recipientId = Find("RecipientId");
        _email = Find("Email");
        _listId = Find("ListId");
        _linkUrl = Find("LinkUrl");
        _bounceReason = Find("BounceReason");
    }

    /// <summary>Fields a record must have: the header's.</summary>
    public int HeaderLength { get; }

    /// <summary>
    /// Maps <paramref name="header"/>; <paramref name="problem"/> names the required columns it lacks (the file is then
    /// unusable): EventType, OccurredAt, MailingId, and RecipientId or Email.
    /// </summary>
    public static ResponseColumnMap? TryCreate(
        string[] header, IReadOnlyDictionary<string, string> columns, IReadOnlyDictionary<string, ResponseEventType> eventTypes, out string? problem)
    {
        var map = new ResponseColumnMap(header, columns, eventTypes);
        var missing = new List<string>();
        foreach (var (index, logical) in new[] { (map._eventType, "EventType"), (map._occurredAt, "OccurredAt"), (map._mailingId, "MailingId") })
        {
            if (index < 0)
            {
                missing.Add(map.Name(logical));
            }
        }

        if (map._recipientId < 0 && map._email < 0)
        {
            missing.Add(map.Name("RecipientId") + "' or '" + map.Name("Email"));
        }

        if (missing.Count > 0)
        {
            problem = $"required column '{string.Join("', '", missing)}' is missing (Ingest:Columns; the header has {header.Length} columns)";
            return null;
        }

        problem = null;
        return map;
    }

    /// <summary>The event a record holds, or the problem that keeps it out (the record has <see cref="HeaderLength"/> fields).</summary>
    public ResponseEvent? Parse(string[] fields, out RowProblem? problem)
    {
        problem = null;
        var recipientId = Field(fields, _recipientId);
        var email = Field(fields, _email);
        var safeId = recipientId.Contains('@', StringComparison.Ordinal) ? string.Empty : recipientId;
        var typeText = Field(fields, _eventType);
        if (!_eventTypes.TryGetValue(typeText, out var type))
        {
            // The value itself is safe to report only when short and free of an address.
            var shown = typeText.Length <= 32 && !typeText.Contains('@', StringComparison.Ordinal) ? typeText : "(long value)";
            problem = new RowProblem(Name("EventType"), "unknown-event-type", $"'{shown}' is not in Ingest:EventTypes", safeId);
            return null;
        }

        if (!DateTimeOffset.TryParseExact(Field(fields, _occurredAt), IsoUtcFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            problem = new RowProblem(Name("OccurredAt"), "bad-timestamp", "not an ISO 8601 UTC time (yyyy-MM-ddTHH:mm:ssZ)", safeId);
            return null;
        }

        if (!long.TryParse(Field(fields, _mailingId), NumberStyles.None, CultureInfo.InvariantCulture, out var mailing) || mailing <= 0)
        {
            problem = new RowProblem(Name("MailingId"), "bad-mailing-id", "empty or not a positive integer", safeId);
            return null;
        }

        if (recipientId.Length == 0 && email.Length == 0)
        {
            problem = new RowProblem(_recipientId >= 0 ? Name("RecipientId") : Name("Email"), "missing-recipient", "neither a recipient id nor an address");
            return null;
        }

        long? list = null;
        var listText = Field(fields, _listId);
        if (listText.Length > 0)
        {
            if (!long.TryParse(listText, NumberStyles.None, CultureInfo.InvariantCulture, out var listId) || listId <= 0)
            {
                problem = new RowProblem(Name("ListId"), "bad-list-id", "not a positive recipient list id", safeId);
                return null;
            }

            list = listId;
        }

        return new ResponseEvent(type, at, mailing, recipientId, email, list, Field(fields, _linkUrl), Field(fields, _bounceReason));
    }

    /// <summary>The header name of a logical column, as configured.</summary>
    public string Name(string logical) => _names.TryGetValue(logical, out var name) ? name : logical;

    private static string Field(string[] fields, int index) => index >= 0 && index < fields.Length ? fields[index].Trim() : string.Empty;
}
