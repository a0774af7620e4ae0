namespace CampaignEtl.Crm.Feedback;

/// <summary>What the platform told the refill about a recipient it did not add to a list.</summary>
public enum PlatformFeedbackKind
{
    /// <summary>addAll3 code 2: unsubscribed on the platform; the CRM revokes the list's opt-in consent.</summary>
    Unsubscribed = 2,

    /// <summary>addAll3 code 3: on the platform's blocklist; the CRM records the address on its blocklist.</summary>
    Blocklisted = 3,

    /// <summary>addAll3 code 4: over the platform's bounce limit; the CRM marks the email bounced.</summary>
    BounceLimit = 4,
}

/// <summary>
/// One recipient's feedback: the recipient id (the CRM person id), the address that was uploaded, the
/// list's opt-in and the line of the archived result file it comes from (lineage).
/// </summary>
public sealed record PlatformFeedback(string RecipientId, string Email, PlatformFeedbackKind Kind, long OptInId, long Line);

/// <summary>Where the feedback comes from: the run and the archived result file (relative archive path).</summary>
public sealed record FeedbackSource(string RunId, string ArchiveFile);

/// <summary>What one batch of feedback did to the CRM.</summary>
public sealed record FeedbackOutcome(int Changed, int Unchanged, int UnknownPerson);
