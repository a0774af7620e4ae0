using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CampaignEtl.Crm.Suppression;

/// <summary>What the platform reported: a hard or soft bounce, an outbounce (over a bounce limit) or an unsubscribe.</summary>
public enum SuppressionKind
{
    Hard,
    Soft,
    Outbounce,
    Unsubscribe,
}

public static class SuppressionKinds
{
    public static string ToText(this SuppressionKind kind) => kind switch
    {
        SuppressionKind.Hard => "hard",
        SuppressionKind.Soft => "soft",
        SuppressionKind.Outbounce => "outbounce",
        SuppressionKind.Unsubscribe => "unsubscribe",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? text, out SuppressionKind kind)
    {
        foreach (var candidate in Enum.GetValues<SuppressionKind>())
        {
            if (string.Equals(candidate.ToText(), text, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>
/// One suppression event. <see cref="RecipientId"/> or <see cref="Email"/> may be empty (the drop files carry one
/// of them); <see cref="ListId"/> null on an unsubscribe means the client-wide unsubscribe list.
/// </summary>
public sealed record SuppressionEvent(
    SuppressionKind Kind, string RecipientId, string Email, long? ListId, DateTimeOffset OccurredAt, string Reason, string MailingId, string Source)
{
    /// <summary>
    /// Identity of the event for de-duplication and the applied-events ledger: kind, recipient id, address
    /// (trimmed, lower case), list and time to the millisecond, hashed so the ledger holds no address.
    /// </summary>
    public string Key()
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        KeyHash(hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The SHA-256 that <see cref="Key"/> spells in hex, into <paramref name="destination"/> (32 bytes).</summary>
    public void KeyHash(Span<byte> destination)
    {
        // Computed twice per event (staging, ledger): built in pooled buffers, so nothing is allocated.
        var email = Email.AsSpan().Trim();
        var chars = ArrayPool<char>.Shared.Rent(RecipientId.Length + (2 * email.Length) + 64);
        byte[]? bytes = null;
        try
        {
            var lower = chars.AsSpan(0, email.Length);
            email.ToLowerInvariant(lower);
            var text = chars.AsSpan(email.Length);
            if (!text.TryWrite(CultureInfo.InvariantCulture,
                    $"{Kind.ToText()}|{RecipientId}|{lower}|{ListId}|{OccurredAt.ToUnixTimeMilliseconds()}", out var length))
            {
                throw new InvalidOperationException("The event key buffer is too small.");
            }

            bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(length));
            var count = Encoding.UTF8.GetBytes(text[..length], bytes);
            SHA256.HashData(bytes.AsSpan(0, count), destination);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            if (bytes is not null)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }
}

/// <summary>An event with the archived file and line it was read from (for lineage and rejects).</summary>
public readonly record struct LocatedEvent(SuppressionEvent Event, string File, long Line);
