using System.Globalization;
using CampaignEtl.Pipeline.Options;

namespace CampaignEtl.Pipeline.Refill;

/// <summary>The refill's archive files, self-describing like the export's (list, list id, run, attempt in the name).</summary>
public static class RefillFileNames
{
    public const string ResultsKind = "refill-results";
    public const string RejectsKind = "rejects";

    public static string Results(RecipientListOptions list, string runId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"refill-results_{list.Name}_list-{list.ListId}_{runId}_attempt-{attempt}.csv");

    public static string Rejects(RecipientListOptions list, string runId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"rejects_refill_{list.Name}_list-{list.ListId}_{runId}_attempt-{attempt}.csv");

    /// <summary>The start every result file name of the list has, whatever the run and attempt.</summary>
    public static string ResultsPrefix(RecipientListOptions list) =>
        string.Create(CultureInfo.InvariantCulture, $"refill-results_{list.Name}_list-{list.ListId}_");
}
