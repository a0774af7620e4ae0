namespace CampaignEtl.Crm.Selections;

/// <summary>
/// What the export needs from the CRM store: whether the configured selections exist, the blocklist,
/// and the selected people in id order. SQLite (<see cref="CrmExportReader"/>) is the store the nightly
/// run uses; PostgreSQL is a second implementation with the same selection rules and the same output.
/// </summary>
public interface ICrmExportSource
{
    /// <summary>Names every marketing list, saved filter and opt-in of the given selections that the CRM lacks.</summary>
    Task<IReadOnlyList<string>> FindUnknownAsync(
        IEnumerable<(string Key, ExportSelection Selection, long OptInId)> lists, CancellationToken cancellationToken);

    /// <summary>The platform's blocklist as the CRM knows it, loaded once per list.</summary>
    Task<Blocklist> LoadBlocklistAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every person of one partition of the selection, in batches, once each, with the first export rule
    /// that excludes them, ordered by recipient id (ordinal). Partition <c>k</c> of <c>n</c> holds the people
    /// whose id's last character has a code equal to <c>k</c> modulo <c>n</c>.
    /// </summary>
    IAsyncEnumerable<ExportCandidate[]> ReadBatchesAsync(
        ExportSelection selection,
        long optInId,
        IReadOnlyList<string> attributeFields,
        int partition,
        int partitions,
        int batchSize,
        CancellationToken cancellationToken);
}
