namespace CampaignEtl.Crm.Selections;

/// <summary>The named rules that keep a selected person out of an export, in the order they are tested.</summary>
public enum ExportExclusion
{
    None = 0,

    /// <summary>A converted lead: its contact is the record that counts.</summary>
    LeadConverted,

    /// <summary>No consent recorded for the list's opt-in.</summary>
    NoConsent,

    /// <summary>The consent for the list's opt-in was revoked.</summary>
    ConsentRevoked,

    /// <summary>The person opted out of all email (Salesforce HasOptedOutOfEmail).</summary>
    EmailOptedOut,

    /// <summary>The address bounced (hard bounce, or soft bounces past the threshold).</summary>
    EmailBounced,

    /// <summary>The address matches an entry of the platform's blocklist known to the CRM.</summary>
    Blocklisted,
}

public static class ExportExclusionNames
{
    /// <summary>The stable, documented name of a rule, as written to the journal and the summary.</summary>
    public static string ToRuleName(this ExportExclusion exclusion) => exclusion switch
    {
        ExportExclusion.None => "none",
        ExportExclusion.LeadConverted => "lead-converted",
        ExportExclusion.NoConsent => "no-consent",
        ExportExclusion.ConsentRevoked => "consent-revoked",
        ExportExclusion.EmailOptedOut => "email-opted-out",
        ExportExclusion.EmailBounced => "email-bounced",
        ExportExclusion.Blocklisted => "blocklisted",
        _ => throw new ArgumentOutOfRangeException(nameof(exclusion), exclusion, null),
    };
}
