namespace CampaignEtl.Crm.Selections;

/// <summary>Several exportable records of one selection that share an email address.</summary>
public sealed record DuplicateEmail(string EmailNormalized, int RecordCount, string RecipientIds)
{
    public override string ToString() => $"DuplicateEmail x{RecordCount}";
}
