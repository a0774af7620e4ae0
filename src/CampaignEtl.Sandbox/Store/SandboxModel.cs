namespace CampaignEtl.Sandbox;

/// <summary>The per-recipient result codes of addAll3 / addAll3Flat (and add2), as the platform documents them.</summary>
public static class AddResultCodes
{
    public const int Inserted = 0;
    public const int InvalidAddress = 1;
    public const int Unsubscribed = 2;
    public const int Blocklisted = 3;
    public const int BounceLimitExceeded = 4;
    public const int AlreadyInList = 5;
    public const int Filtered = 6;
    public const int GeneralError = 7;
}

/// <summary>The two bounce counters the platform keeps per address.</summary>
public enum BounceCategory
{
    Hard,
    Soft,
}

/// <summary>A member of a sandbox recipient list.</summary>
public sealed record SandboxRecipient(string RecipientId, string Email, IReadOnlyDictionary<string, string?> Attributes);

/// <summary>A response event the sandbox recorded (send, open, click, softbounce, hardbounce, unsubscribe, outbounce).</summary>
public sealed record SandboxResponseEvent(
    long EventId,
    string EventType,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    long? MailingId,
    string RecipientId,
    string Email,
    long? ListId,
    string? LinkUrl,
    string? BounceReason);

/// <summary>Rates of a simulated mailing, each 0 to 1. Bounces are drawn per send; opens per delivered mail; clicks and unsubscribes per open.</summary>
public sealed record MailingSimulationRates
{
    public double HardBounce { get; init; } = 0.01;

    public double SoftBounce { get; init; } = 0.03;

    public double Open { get; init; } = 0.35;

    public double Click { get; init; } = 0.3;

    public double Unsubscribe { get; init; } = 0.05;

    /// <summary>Distinct tracked links of the mailing; a click picks one.</summary>
    public int Links { get; init; } = 3;
}

/// <summary>What a simulated mailing produced.</summary>
public sealed record MailingSimulationResult(
    long MailingId,
    int Sends,
    int Opens,
    int Clicks,
    int SoftBounces,
    int HardBounces,
    int Unsubscribes,
    int Outbounces,
    string ResponseFile);
