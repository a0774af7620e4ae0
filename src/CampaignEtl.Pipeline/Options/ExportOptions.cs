namespace CampaignEtl.Pipeline.Options;

/// <summary>The export stage and the recipient lists it fills.</summary>
public sealed class ExportOptions
{
    public const string Section = "Export";

    /// <summary>People per Dataflow message. Default 1000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Messages a block may hold; bounds memory. Default 4.</summary>
    public int BoundedCapacity { get; set; } = 4;

    /// <summary>
    /// Readers of one selection at the same time, each on its own connection and share of the people,
    /// merged back in id order. Default 2 (the cores of the reference machine); 1 reads serially.
    /// </summary>
    public int ReadPartitions { get; set; } = 1;

    public List<RecipientListOptions> RecipientLists { get; set; } = [];
}

/// <summary>One recipient list on the platform, filled from one CRM selection under exactly one advertising consent.</summary>
public sealed class RecipientListOptions
{
    /// <summary>A short name for logs and file names, e.g. <c>newsletter-de</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The platform's recipient list id.</summary>
    public long ListId { get; set; }

    /// <summary>The platform's opt-in process id: the one advertising consent this list is for.</summary>
    public long? OptInId { get; set; }

    /// <summary>Technical field <c>description</c> sent with every recipient.</summary>
    public string Description { get; set; } = string.Empty;

    /// <summary>Technical field <c>media-type</c>. Default <c>email</c>.</summary>
    public string MediaType { get; set; } = "email";

    public SelectionOptions Selection { get; set; } = new();

    /// <summary>Platform attribute name to CRM person field, e.g. <c>"firstname": "first_name"</c>.</summary>
    public Dictionary<string, string> Attributes { get; set; } = new(StringComparer.Ordinal);
}

public sealed class SelectionOptions
{
    public List<string> MarketingLists { get; set; } = [];

    public List<string> SavedFilters { get; set; } = [];
}
