using CampaignEtl.Platform;

namespace CampaignEtl.Pipeline.Refill;

/// <summary>Where a row goes for each addAll3 answer.</summary>
public enum RefillOutcome
{
    /// <summary>0 inserted, 5 already on the list (a retried call or a killed run's leftovers): the list holds the recipient.</summary>
    Accepted,

    /// <summary>2 unsubscribed, 3 blacklisted, 4 bounce overflow: the platform's own suppression; fed back to the CRM.</summary>
    Excluded,

    /// <summary>1 validation failed, 6 filtered, 7 general error, or a code we do not know: a reject record.</summary>
    Rejected,
}

public static class RecipientCodes
{
    /// <summary>The code's name as written in the result file, e.g. <c>bounce-overflow</c>; unknown numbers as <c>code-&lt;n&gt;</c>.</summary>
    public static string Meaning(RecipientResultCode code) => code switch
    {
        RecipientResultCode.Inserted => "inserted",
        RecipientResultCode.ValidationFailed => "validation-failed",
        RecipientResultCode.Unsubscribed => "unsubscribed",
        RecipientResultCode.Blacklisted => "blacklisted",
        RecipientResultCode.BounceOverflow => "bounce-overflow",
        RecipientResultCode.AlreadyOnList => "already-on-list",
        RecipientResultCode.Filtered => "filtered",
        RecipientResultCode.GeneralError => "general-error",
        _ => "code-" + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static RefillOutcome Outcome(RecipientResultCode code) => code switch
    {
        RecipientResultCode.Inserted or RecipientResultCode.AlreadyOnList => RefillOutcome.Accepted,
        RecipientResultCode.Unsubscribed or RecipientResultCode.Blacklisted or RecipientResultCode.BounceOverflow => RefillOutcome.Excluded,
        _ => RefillOutcome.Rejected,
    };
}
