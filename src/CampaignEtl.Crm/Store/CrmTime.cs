using System.Globalization;

namespace CampaignEtl.Crm.Store;

/// <summary>The one text form of instants in the CRM: ISO 8601, UTC, milliseconds, 'Z'.</summary>
public static class CrmTime
{
    /// <summary><c>yyyy-MM-ddTHH:mm:ss.fffZ</c> in UTC, written digit by digit: ingest formats an instant per event, and the culture-aware custom format cost several times more.</summary>
    public static string Format(DateTimeOffset instant) => string.Create(24, instant.UtcDateTime, static (chars, utc) =>
    {
        var (date, time) = utc;
        Digits(chars[..4], date.Year);
        chars[4] = '-';
        Digits(chars.Slice(5, 2), date.Month);
        chars[7] = '-';
        Digits(chars.Slice(8, 2), date.Day);
        chars[10] = 'T';
        Digits(chars.Slice(11, 2), time.Hour);
        chars[13] = ':';
        Digits(chars.Slice(14, 2), time.Minute);
        chars[16] = ':';
        Digits(chars.Slice(17, 2), time.Second);
        chars[19] = '.';
        Digits(chars.Slice(20, 3), time.Millisecond);
        chars[23] = 'Z';
    });

    public static string FormatDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static void Digits(Span<char> chars, int value)
    {
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
