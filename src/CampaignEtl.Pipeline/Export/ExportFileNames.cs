using System.Globalization;
using CampaignEtl.Pipeline.Options;

namespace CampaignEtl.Pipeline.Export;

/// <summary>
/// Unique, self-describing names: the list, its id, the opt-in, the run and the attempt are all in
/// the name, so no two files of any run or attempt can collide, here or on a remote drop.
/// </summary>
public static class ExportFileNames
{
    public static string Export(RecipientListOptions list, string runId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"export_{list.Name}_list-{list.ListId}_optin-{list.OptInId}_{runId}_attempt-{attempt}.csv");

    public static string Rejects(RecipientListOptions list, string runId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"rejects_export_{list.Name}_list-{list.ListId}_{runId}_attempt-{attempt}.csv");

    public static string DuplicateEmails(RecipientListOptions list, string runId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"duplicate-emails_{list.Name}_list-{list.ListId}_{runId}_attempt-{attempt}.csv");
}
