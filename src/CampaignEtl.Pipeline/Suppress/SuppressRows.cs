using System.Globalization;
using CampaignEtl.Crm.Suppression;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>Why a row was not taken: the column at fault, a reason code and a detail without personal data.</summary>
internal sealed record RowProblem(string Column, string Reason, string Detail, string RecipientId = "");

/// <summary>A row read into an event, or the problem that kept it out.</summary>
internal readonly record struct ParsedRow(SuppressionEvent? Event, RowProblem? Problem)
{
    public static implicit operator ParsedRow(SuppressionEvent e) => new(e, null);

    public static implicit operator ParsedRow(RowProblem p) => new(null, p);
}

/// <summary>
/// Rows of the ClosedLoopWebservice reads (layouts in the sandbox's ClosedLoopColumns; times in ms since the
/// epoch) and of the platform's drop files (header-driven; times ISO 8601 UTC) into suppression events.
/// </summary>
internal static class SuppressRows
{
    public const string GetOutBounces = "getOutBounces";
    public const string GetResponses = "getResponses";
    public const string GetUnsubscribes = "getUnsubscribes";

    public static readonly string[] OutbounceColumns = ["email", "hard-bounces", "soft-bounces", "outbounced-at"];
    public static readonly string[] UnsubscribeColumns = ["recipient-id", "list-id", "unsubscribed-at"];

    private static readonly string[] IsoFormats = ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    /// <summary>getOutBounces: [recipientId, email, outbouncedAt].</summary>
    public static ParsedRow OutBounce(IReadOnlyList<string?> row, string source)
    {
        if (row.Count < 3)
        {
            return Short(row, 3);
        }

        var (id, email) = (Text(row[0]), Text(row[1]));
        if (!TryMilliseconds(row[2], out var at))
        {
            return new RowProblem("outbouncedAt", "bad-date", "not a time in milliseconds", id);
        }

        return Recipient(id, email) ?? (ParsedRow)new SuppressionEvent(SuppressionKind.Outbounce, id, email, null, at, "outbounce", string.Empty, source);
    }

    /// <summary>getResponses: [mailingId, recipientId, email, receivedAt, category (hardbounce|softbounce), reason].</summary>
    public static ParsedRow Response(IReadOnlyList<string?> row, string source)
    {
        if (row.Count < 5)
        {
            return Short(row, 5);
        }

        var (mailing, id, email) = (Text(row[0]), Text(row[1]), Text(row[2]));
        if (!TryMilliseconds(row[3], out var at))
        {
            return new RowProblem("receivedAt", "bad-date", "not a time in milliseconds", id);
        }

        SuppressionKind kind;
        switch (Text(row[4]).ToLowerInvariant())
        {
            case "hardbounce":
                kind = SuppressionKind.Hard;
                break;
            case "softbounce":
                kind = SuppressionKind.Soft;
                break;
            default:
                return new RowProblem("category", "unknown-category", "expected hardbounce or softbounce", id);
        }

        if (mailing.Length > 0 && !long.TryParse(mailing, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return new RowProblem("mailingId", "bad-number", "not a mailing id", id);
        }

        var reason = row.Count > 5 ? Text(row[5]) : string.Empty;
        return Recipient(id, email) ?? (ParsedRow)new SuppressionEvent(kind, id, email, null, at, reason, mailing, source);
    }

    /// <summary>getUnsubscribes: [recipientId, email, unsubscribedAt, listId or empty (client-wide)].</summary>
    public static ParsedRow Unsubscribe(IReadOnlyList<string?> row, string source)
    {
        if (row.Count < 3)
        {
            return Short(row, 3);
        }

        var (id, email) = (Text(row[0]), Text(row[1]));
        if (!TryMilliseconds(row[2], out var at))
        {
            return new RowProblem("unsubscribedAt", "bad-date", "not a time in milliseconds", id);
        }

        if (!TryListId(row.Count > 3 ? row[3] : null, out var list))
        {
            return new RowProblem("listId", "bad-number", "not a recipient list id", id);
        }

        return Recipient(id, email) ?? (ParsedRow)new SuppressionEvent(SuppressionKind.Unsubscribe, id, email, list, at, string.Empty, string.Empty, source);
    }

    /// <summary>A row of <c>outbounces_*.csv</c> (<paramref name="index"/>: the columns' positions in the header).</summary>
    public static ParsedRow DropOutbounce(string[] fields, int[] index, string source)
    {
        var email = Text(fields[index[0]]);
        if (email.Length == 0)
        {
            return new RowProblem("email", "missing-recipient", "no address");
        }

        if (!TryCount(fields[index[1]], out var hard))
        {
            return new RowProblem("hard-bounces", "bad-number", "not a count");
        }

        if (!TryCount(fields[index[2]], out var soft))
        {
            return new RowProblem("soft-bounces", "bad-number", "not a count");
        }

        if (!TryIso(fields[index[3]], out var at))
        {
            return new RowProblem("outbounced-at", "bad-date", "not an ISO 8601 UTC time");
        }

        var reason = string.Create(CultureInfo.InvariantCulture, $"outbounce (hard bounces {hard}, soft bounces {soft})");
        return new SuppressionEvent(SuppressionKind.Outbounce, string.Empty, email, null, at, reason, string.Empty, source);
    }

    /// <summary>A row of <c>unsubscribes_*.csv</c>.</summary>
    public static ParsedRow DropUnsubscribe(string[] fields, int[] index, string source)
    {
        var id = Text(fields[index[0]]);
        if (id.Length == 0)
        {
            return new RowProblem("recipient-id", "missing-recipient", "no recipient id");
        }

        if (!TryListId(fields[index[1]], out var list))
        {
            return new RowProblem("list-id", "bad-number", "not a recipient list id", id);
        }

        if (!TryIso(fields[index[2]], out var at))
        {
            return new RowProblem("unsubscribed-at", "bad-date", "not an ISO 8601 UTC time", id);
        }

        // The platform's unsubscribe list takes a recipient id or an address; an address then also serves the email match.
        var email = id.Contains('@', StringComparison.Ordinal) ? id : string.Empty;
        return new SuppressionEvent(SuppressionKind.Unsubscribe, id, email, list, at, string.Empty, string.Empty, source);
    }

    /// <summary>The platform's unsubscribe list may key a recipient by address: a reject file never holds one.</summary>
    public static string RecipientForReject(string recipientId) =>
        recipientId.Contains('@', StringComparison.Ordinal) ? string.Empty : recipientId;

    public static bool TryIso(string? text, out DateTimeOffset at) =>
        DateTimeOffset.TryParseExact(Text(text), IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);

    private static bool TryMilliseconds(string? text, out DateTimeOffset at)
    {
        at = default;
        if (!long.TryParse(Text(text), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > 253402300799999)
        {
            return false;
        }

        at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    private static bool TryListId(string? text, out long? list)
    {
        list = null;
        var value = Text(text);
        if (value.Length == 0 || value == "0")
        {
            return true;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
        {
            list = id;
            return true;
        }

        return false;
    }

    private static bool TryCount(string? text, out int count) =>
        int.TryParse(Text(text), NumberStyles.None, CultureInfo.InvariantCulture, out count);

    private static RowProblem? Recipient(string id, string email) =>
        id.Length == 0 && email.Length == 0 ? new RowProblem("recipientId", "missing-recipient", "neither a recipient id nor an address") : null;

    private static RowProblem Short(IReadOnlyList<string?> row, int expected) =>
        new("*", "missing-columns", string.Create(CultureInfo.InvariantCulture, $"{row.Count} values, expected at least {expected}"));

    private static string Text(string? value) => value?.Trim() ?? string.Empty;
}
