namespace CampaignEtl.Pipeline.Export;

/// <summary>Column names of the export, reject and duplicate-email files (described in schemas/*.csv-metadata.json).</summary>
public static class ExportColumns
{
    public static readonly string[] Technical = ["recipient-id", "email", "opt-in-id", "description", "media-type", "entity-type", "entity-id"];

    public static readonly string[] Rejects = ["source", "row", "entity-type", "entity-id", "column", "reason", "detail"];

    public static readonly string[] DuplicateEmails = ["email", "records", "recipient-ids"];
}
