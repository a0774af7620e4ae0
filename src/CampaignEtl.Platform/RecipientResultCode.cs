namespace CampaignEtl.Platform;

/// <summary>
/// The per-recipient answer of <c>addAll3</c>/<c>addAll3Flat</c> (and <c>add2</c>), as documented for
/// RecipientWebservice. A code outside 0..7 is kept as its number.
/// </summary>
public enum RecipientResultCode
{
    /// <summary>0: inserted / added.</summary>
    Inserted = 0,

    /// <summary>1: validation failed, e.g. invalid e-mail syntax.</summary>
    ValidationFailed = 1,

    /// <summary>2: the recipient is unsubscribed.</summary>
    Unsubscribed = 2,

    /// <summary>3: the recipient is blacklisted (blocklist).</summary>
    Blacklisted = 3,

    /// <summary>4: bounce overflow: the recipient exceeded the bounce limit in the past.</summary>
    BounceOverflow = 4,

    /// <summary>5: the recipient is already in the list (and is not updated). A refill counts it as success: a repeated batch after a lost answer gives 5 for rows the first call added.</summary>
    AlreadyOnList = 5,

    /// <summary>6: the recipient was filtered.</summary>
    Filtered = 6,

    /// <summary>7: general error.</summary>
    GeneralError = 7,
}
