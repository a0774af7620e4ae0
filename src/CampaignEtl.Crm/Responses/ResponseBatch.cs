using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CampaignEtl.Crm.Responses;

/// <summary>
/// A batch of response events with their ledger keys. The keys (a SHA-256 per event) need no database, so the stage
/// builds the next batch, keys included, while the writer applies the current one.
/// </summary>
public sealed class ResponseBatch
{
    private ResponseBatch(IReadOnlyList<LocatedResponse> events, EventKey[] keys)
    {
        Events = events;
        Keys = keys;
    }

    public IReadOnlyList<LocatedResponse> Events { get; }

    internal IReadOnlyList<EventKey> Keys { get; }

    public static ResponseBatch Of(IReadOnlyList<LocatedResponse> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var builder = new KeyBuilder();
        var keys = new EventKey[events.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = builder.KeyOf(events[i].Event);
        }

        return new ResponseBatch(events, keys);
    }

    /// <summary>Builds keys in reused buffers.</summary>
    private sealed class KeyBuilder
    {
        private char[] _chars = new char[256];
        private byte[] _bytes = new byte[1024];

        /// <summary>
        /// The event's identity for the ledger: its mailing, its trimmed recipient id (both lead the ledger's key, for
        /// locality) and the first 16 bytes of the SHA-256 of
        /// <c>type|mailing|recipient id|lower(trim(email))|occurred-at ms|link url</c> (the key earlier builds kept alone).
        /// </summary>
        public EventKey KeyOf(ResponseEvent e)
        {
            var recipient = e.RecipientId.AsSpan().Trim();
            var email = e.Email.AsSpan().Trim();
            var length = 64 + recipient.Length + email.Length + e.LinkUrl.Length;
            if (_chars.Length < length)
            {
                _chars = new char[length * 2];
            }

            var chars = _chars.AsSpan();
            var n = Append(chars, 0, TypeText(e.Type));
            e.MailingId.TryFormat(chars[n..], out var written, default, CultureInfo.InvariantCulture);
            n = Append(chars, n + written, "|");
            n = Append(chars, n, recipient);
            n = Append(chars, n, "|");
            n += email.ToLowerInvariant(chars[n..]);
            n = Append(chars, n, "|");
            e.OccurredAt.ToUnixTimeMilliseconds().TryFormat(chars[n..], out written, default, CultureInfo.InvariantCulture);
            n = Append(chars, n + written, "|");
            n = Append(chars, n, e.LinkUrl);

            var byteCount = Encoding.UTF8.GetMaxByteCount(n);
            if (_bytes.Length < byteCount)
            {
                _bytes = new byte[byteCount * 2];
            }

            var bytes = Encoding.UTF8.GetBytes(chars[..n], _bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(_bytes.AsSpan(0, bytes), hash);
            var recipientId = recipient.Length == e.RecipientId.Length ? e.RecipientId : recipient.ToString();
            return new EventKey(e.MailingId, recipientId, BinaryPrimitives.ReadUInt128BigEndian(hash));
        }

        private static int Append(Span<char> chars, int at, ReadOnlySpan<char> text)
        {
            text.CopyTo(chars[at..]);
            return at + text.Length;
        }

        private static string TypeText(ResponseEventType type) => type switch
        {
            ResponseEventType.Send => "send|",
            ResponseEventType.Open => "open|",
            ResponseEventType.Click => "click|",
            ResponseEventType.SoftBounce => "softbounce|",
            ResponseEventType.HardBounce => "hardbounce|",
            ResponseEventType.Unsubscribe => "unsubscribe|",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }
}

/// <summary>An event's key in the ledger: mailing and recipient id first (locality), then the hash of the whole event.</summary>
internal readonly record struct EventKey(long MailingId, string RecipientId, UInt128 Hash);
