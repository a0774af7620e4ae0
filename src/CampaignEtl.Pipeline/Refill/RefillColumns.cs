namespace CampaignEtl.Pipeline.Refill;

/// <summary>Column names of the refill's result file (described in schemas/refill-results.csv-metadata.json).</summary>
public static class RefillColumns
{
    public static readonly string[] Results = ["recipient-id", "code", "meaning"];

    /// <summary>Export columns not sent as attributes: they are the addAll3Flat arguments themselves.</summary>
    public const int RecipientId = 0;
    public const int Email = 1;
    public const int OptInId = 2;

    /// <summary>From this column on (description, media-type, entity-type, entity-id, the list's attributes) every column is an attribute.</summary>
    public const int FirstAttribute = 3;

    public const int EntityType = 5;
}
