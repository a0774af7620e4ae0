namespace CampaignEtl.Crm.Demo;

/// <summary>What a demo seed created.</summary>
public sealed record DemoSeedSummary(
    int Accounts,
    int Contacts,
    int Leads,
    int ConvertedLeads,
    int Consents,
    int MarketingListMembers,
    int Bounced,
    int OptedOut,
    int InvalidEmails,
    int DuplicateEmails,
    int Campaigns);
