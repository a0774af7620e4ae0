using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CampaignEtl.Crm.Responses;

/// <summary>
/// A batch of response events with their ledger keys and, once applied, their results. The keys (a SHA-256 per event)
/// need no database, so the stage fills and keys the next batch (<see cref="Seal"/>) while the writer applies the
/// current one. A batch can be cleared and filled again: its arrays are kept, so batch after batch allocates no large
/// arrays (each would be a large-object allocation, and those cost full collections).
/// </summary>
public sealed class ResponseBatch
{
    private readonly KeyBuilder _builder = new();
    private EventKey[] _keys = [];
    private ResponseResult[] _results = [];
    private bool _sealed;

    /// <summary>The events, in file order; add to it, then <see cref="Seal"/>.</summary>
    public List<LocatedResponse> Events { get; } = [];

    internal ArraySegment<EventKey> Keys => _sealed
        ? new ArraySegment<EventKey>(_keys, 0, Events.Count)
        : throw new InvalidOperationException("The batch's keys are not computed: call Seal once its events are in.");

    /// <summary>A sealed batch of these events (a new one: the list is copied).</summary>
    public static ResponseBatch Of(IReadOnlyList<LocatedResponse> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var batch = new ResponseBatch();
        batch.Events.AddRange(events);
        return batch.Seal();
    }

    /// <summary>Computes the events' ledger keys; the events must not change after this (until <see cref="Clear"/>).</summary>
    public ResponseBatch Seal()
    {
        if (_keys.Length < Events.Count)
        {
            _keys = new EventKey[Events.Count];
        }

        for (var i = 0; i < Events.Count; i++)
        {
            _keys[i] = _builder.KeyOf(Events[i].Event);
        }

        _sealed = true;
        return this;
    }

    /// <summary>Empties the batch for the next events; its arrays stay.</summary>
    public void Clear()
    {
        Events.Clear();
        _sealed = false;
    }

    /// <summary>Where the writer puts one result per event, in order.</summary>
    internal ResponseResult[] Results()
    {
        if (_results.Length < Events.Count)
        {
            _results = new ResponseResult[Events.Count];
        }

        return _results;
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
