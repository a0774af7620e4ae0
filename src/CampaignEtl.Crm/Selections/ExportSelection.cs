namespace CampaignEtl.Crm.Selections;

/// <summary>Who a recipient list is drawn from: the union of marketing lists and saved filters, by name.</summary>
public sealed record ExportSelection(IReadOnlyList<string> MarketingLists, IReadOnlyList<string> SavedFilters)
{
    public bool IsEmpty => MarketingLists.Count == 0 && SavedFilters.Count == 0;
}
