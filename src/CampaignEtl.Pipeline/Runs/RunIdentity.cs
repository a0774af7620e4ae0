using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace CampaignEtl.Pipeline.Runs;

/// <summary>A run: its id (UTC start plus a random suffix, sortable and unique) and its business date.</summary>
public sealed partial record RunIdentity(string RunId, DateOnly BusinessDate, string TimeZoneId, DateTimeOffset CreatedAt)
{
    public static RunIdentity New(TimeProvider timeProvider, TimeZoneInfo businessTimeZone)
    {
        var now = timeProvider.GetUtcNow();
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        var runId = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + suffix;
        var local = TimeZoneInfo.ConvertTime(now, businessTimeZone);
        return new RunIdentity(runId, DateOnly.FromDateTime(local.DateTime), businessTimeZone.Id, now);
    }

    /// <summary>Run ids become folder and file names: only this shape is accepted from the command line.</summary>
    public static bool IsWellFormed(string? runId) => runId is not null && RunIdPattern().IsMatch(runId);

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$", RegexOptions.CultureInvariant)]
    private static partial Regex RunIdPattern();
}
