using System.Globalization;

namespace CampaignEtl.Crm.Store;

/// <summary>The one text form of instants in the CRM: ISO 8601, UTC, milliseconds, 'Z'.</summary>
public static class CrmTime
{
    public static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string FormatDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
