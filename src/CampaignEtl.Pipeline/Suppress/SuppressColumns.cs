namespace CampaignEtl.Pipeline.Suppress;

/// <summary>Columns of the suppress stage's result files (schemas/bounces.csv-metadata.json, unsubscriptions.csv-metadata.json).</summary>
public static class SuppressColumns
{
    public static readonly string[] Bounces = ["recipient-id", "email", "kind", "occurred-at", "reason", "mailing-id", "source"];

    public static readonly string[] Unsubscriptions = ["recipient-id", "email", "list-id", "occurred-at", "mailing-id", "source"];

    /// <summary>Addresses that matched several CRM people: the event was applied to all of them.</summary>
    public static readonly string[] Ambiguities = ["source", "row", "kind", "records", "person-ids"];

    /// <summary>
    /// Header of the archived raw ClosedLoopWebservice rows: the platform sends bare string arrays, so the
    /// names are ours, in the documented column order of each operation.
    /// </summary>
    public static string[] ClosedLoop(string operation) => operation switch
    {
        "getOutBounces" => ["recipient-id", "email", "outbounced-at-ms"],
        "getResponses" => ["mailing-id", "recipient-id", "email", "received-at-ms", "category", "reason"],
        "getUnsubscribes" => ["recipient-id", "email", "unsubscribed-at-ms", "list-id"],
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "not a ClosedLoopWebservice read the suppress stage makes"),
    };
}
