using System.Buffers;
using System.Globalization;
using System.ServiceModel.Channels;
using System.Text;

namespace CampaignEtl.Platform.Soap;

/// <summary>
/// Writes a whole rpc/encoded request envelope as UTF-8 bytes into one pooled buffer, without an XmlWriter: the
/// markup is constant per operation and part kind, so only text needs work (escaping <c>&lt; &gt; &amp;</c> and CR,
/// refusing what XML 1.0 cannot carry). The bytes are exactly those <see cref="RpcRequestWriter.WriteEnvelopeWithXmlWriter"/>
/// writes (a test holds the two together); XmlWriter's per-node checks were most of the client's CPU per batch.
/// </summary>
internal sealed class Utf8EnvelopeWriter : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly BufferManager? pool;
    private readonly int offset;
    private byte[] buffer;
    private int length;

    private Utf8EnvelopeWriter(int capacity, BufferManager? pool, int offset)
    {
        this.pool = pool;
        this.offset = offset;
        buffer = Take(offset + capacity);
        length = offset;
    }

    /// <summary>The envelope's bytes, valid until <see cref="Dispose"/> or <see cref="Detach"/>.</summary>
    public ReadOnlySpan<byte> Written => buffer.AsSpan(offset, length - offset);

    public int Length => length - offset;

    /// <summary>An envelope in a buffer from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static Utf8EnvelopeWriter Write(PlatformOperation operation, ReadOnlySpan<SoapArg> args) => Write(operation, args, null, 0);

    /// <summary>
    /// An envelope written straight into a buffer of WCF's <paramref name="pool"/>, starting at <paramref name="offset"/>
    /// (the encoder's message offset), so the transport sends it without a copy; <see cref="Detach"/> hands the buffer over.
    /// </summary>
    public static Utf8EnvelopeWriter Write(PlatformOperation operation, ReadOnlySpan<SoapArg> args, BufferManager? pool, int offset)
    {
        var parts = operation.Parts;
        if (args.Length != parts.Count)
        {
            throw new InvalidOperationException($"{operation.Key} takes {parts.Count} parts, {args.Length} were given");
        }

        var writer = new Utf8EnvelopeWriter(EstimateSize(args), pool, offset);
        try
        {
            writer.Ascii("<?xml version=\"1.0\" encoding=\"utf-8\"?><soapenv:Envelope xmlns:xsd=\"" + SoapNamespaces.Xsd + "\" xmlns:xsi=\"" + SoapNamespaces.Xsi
                + "\" xmlns:soapenv=\"" + SoapNamespaces.Envelope + "\"><soapenv:Body><ns1:");
            writer.Text(operation.Name);
            writer.Ascii(" soapenv:encodingStyle=\"" + SoapNamespaces.Encoding + "\" xmlns:xsd=\"" + SoapNamespaces.Xsd + "\" xmlns:xsi=\"" + SoapNamespaces.Xsi
                + "\" xmlns:soapenc=\"" + SoapNamespaces.Encoding + "\" xmlns:ns1=\"");
            writer.Text(operation.Service.Namespace);
            writer.Ascii("\">");
            for (var i = 0; i < args.Length; i++)
            {
                var part = parts[i];
                var arg = args[i];
                if (arg.Kind != SoapArgKind.Nil && SoapArg.WsdlType(arg.Kind) != part.Type)
                {
                    throw new InvalidOperationException($"{operation.Key} part {part.Name} is {part.Type}, a {arg.Kind} was given");
                }

                writer.Part(part.Name, part.Type, arg);
            }

            writer.Ascii("</ns1:");
            writer.Text(operation.Name);
            writer.Ascii("></soapenv:Body></soapenv:Envelope>");
            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>The buffer and the envelope's place in it; the caller owns the buffer from now on (<see cref="Dispose"/> no longer returns it).</summary>
    public ArraySegment<byte> Detach()
    {
        var segment = new ArraySegment<byte>(buffer, offset, length - offset);
        buffer = [];
        length = offset;
        return segment;
    }

    public void Dispose()
    {
        var rented = buffer;
        buffer = [];
        length = offset;
        if (rented.Length > 0)
        {
            Return(rented);
        }
    }

    private byte[] Take(int size) => pool?.TakeBuffer(size) ?? ArrayPool<byte>.Shared.Rent(size);

    private void Return(byte[] rented)
    {
        if (pool is not null)
        {
            pool.ReturnBuffer(rented);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int EstimateSize(ReadOnlySpan<SoapArg> args)
    {
        long size = 1024;
        foreach (var arg in args)
        {
            size += arg.Reference switch
            {
                string s => s.Length + 64,
                IReadOnlyList<string?> values => Items(values),
                IReadOnlyList<IReadOnlyList<string?>> rows => rows.Sum(r => r is null ? 32L : Items(r) + 96),
                _ => 64,
            };
        }

        return (int)Math.Min(size, 1 << 30);

        static long Items(IReadOnlyList<string?> values)
        {
            long total = 96 + (13L * values.Count);
            if (values is string?[] array)
            {
                foreach (var value in array)
                {
                    total += value?.Length ?? 8;
                }

                return total;
            }

            for (var i = 0; i < values.Count; i++)
            {
                total += values[i]?.Length ?? 8;
            }

            return total;
        }
    }

    private void Part(string name, string type, SoapArg arg)
    {
        Byte((byte)'<');
        Text(name);
        switch (arg.Kind)
        {
            case SoapArgKind.Nil:
                Ascii(" xsi:type=\"");
                Text(type.StartsWith("impl:", StringComparison.Ordinal) ? "soapenc:Array" : type);
                Ascii("\" xsi:nil=\"true\" />");
                return;
            case SoapArgKind.String:
                var text = (string)arg.Reference!;
                if (text.Length == 0)
                {
                    Ascii(" xsi:type=\"xsd:string\" />");
                    return;
                }

                Ascii(" xsi:type=\"xsd:string\">");
                Text(text);
                break;
            case SoapArgKind.Long:
                Ascii(" xsi:type=\"xsd:long\">");
                Number(arg.Number);
                break;
            case SoapArgKind.Int:
                Ascii(" xsi:type=\"xsd:int\">");
                Number((int)arg.Number);
                break;
            case SoapArgKind.Boolean:
                Ascii(" xsi:type=\"xsd:boolean\">");
                Ascii(arg.Number != 0 ? "true" : "false");
                break;
            case SoapArgKind.StringArray:
                if (!StringArray((IReadOnlyList<string?>)arg.Reference!))
                {
                    Ascii(" />");
                    return;
                }

                break;
            case SoapArgKind.StringArrayArray:
                var rows = (IReadOnlyList<IReadOnlyList<string?>>)arg.Reference!;
                Ascii(" xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[][");
                Number(rows.Count);
                if (rows.Count == 0)
                {
                    Ascii("]\" />");
                    return;
                }

                Ascii("]\">");
                for (var i = 0; i < rows.Count; i++)
                {
                    Ascii("<item");
                    if (rows[i] is { } row)
                    {
                        if (StringArray(row))
                        {
                            Ascii("</item>");
                        }
                        else
                        {
                            Ascii(" />");
                        }
                    }
                    else
                    {
                        Ascii(" xsi:nil=\"true\" />");
                    }
                }

                break;
            default:
                throw new InvalidOperationException($"Unknown part kind {arg.Kind}");
        }

        Ascii("</");
        Text(name);
        Byte((byte)'>');
    }

    /// <summary>The array attributes and, when there are items, the closed start tag and the items; false = no items (the caller closes the empty element).</summary>
    private bool StringArray(IReadOnlyList<string?> values)
    {
        Ascii(" xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[");
        Number(values.Count);
        Ascii("]\"");
        if (values.Count == 0)
        {
            return false;
        }

        Byte((byte)'>');
        if (values is string?[] array)
        {
            // The common case, without an interface call per item.
            foreach (var item in array)
            {
                Item(item);
            }

            return true;
        }

        for (var i = 0; i < values.Count; i++)
        {
            Item(values[i]);
        }

        return true;
    }

    private void Item(string? value)
    {
        if (value is null)
        {
            Raw("<item xsi:nil=\"true\"/>"u8);
            return;
        }

        // The common item, printable ASCII without markup, in one reservation and one vectorized pass: with 12,000
        // items per batch, the calls per item (transcode, check, tags) were most of the writer's time.
        if (value.Length <= 1 << 24)
        {
            Ensure(value.Length + 13);
            var target = buffer.AsSpan(length);
            if (PlainAscii.TryCopy(value, target[6..]))
            {
                "<item>"u8.CopyTo(target);
                "</item>"u8.CopyTo(target[(6 + value.Length)..]);
                length += value.Length + 13;
                return;
            }
        }

        Raw("<item>"u8);
        Text(value, plainAsciiTried: true);
        Raw("</item>"u8);
    }

    /// <summary>Element text (or a known-safe name) with <c>&lt; &gt; &amp;</c> and CR escaped; characters XML 1.0 cannot carry are refused.</summary>
    private void Text(string value, bool plainAsciiTried = false)
    {
        // Most values need no escaping: plain ASCII is copied as it is checked; other text is transcoded in one
        // vectorized pass and checked as bytes, and escaped from those bytes when it needs it. Only a broken
        // surrogate sends it to the careful path, which reports it.
        if (value.Length is > 0 and <= 1 << 24)
        {
            Ensure(value.Length * 3);
            var target = buffer.AsSpan(length);
            if (!plainAsciiTried && PlainAscii.TryCopy(value, target))
            {
                length += value.Length;
                return;
            }

            if (System.Text.Unicode.Utf8.FromUtf16(value, target, out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done)
            {
                var care = target[..written].IndexOfAny(ByteCare);
                if (care < 0)
                {
                    length += written;
                    return;
                }

                length += care;
                Escaped(target[care..written]);
                return;
            }
        }

        TextCarefully(value);
    }

    /// <summary>
    /// UTF-8 text (already in the buffer, just past its end) written with markup and CR escaped; characters XML 1.0
    /// cannot carry are refused, as by <see cref="TextCarefully"/>. Escaping makes the text longer than its bytes,
    /// so they are read from a copy.
    /// </summary>
    private void Escaped(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= ShortText)
        {
            EscapedShort(utf8);
            return;
        }

        byte[]? rented = null;
        var copy = utf8.Length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(utf8.Length));
        try
        {
            utf8.CopyTo(copy);
            var rest = copy[..utf8.Length];
            while (true)
            {
                var care = rest.IndexOfAny(ByteCare);
                var plain = care < 0 ? rest : rest[..care];
                Raw(plain);
                if (care < 0)
                {
                    return;
                }

                var b = rest[care];
                rest = rest[(care + 1)..];
                switch (b)
                {
                    case (byte)'<':
                        Raw("&lt;"u8);
                        break;
                    case (byte)'>':
                        Raw("&gt;"u8);
                        break;
                    case (byte)'&':
                        Raw("&amp;"u8);
                        break;
                    case (byte)'\r':
                        Raw("&#xD;"u8);
                        break;
                    case (byte)'\n' or (byte)'\t':
                        Byte(b);
                        break;
                    case 0xEF when rest.Length >= 2 && !(rest[0] == 0xBF && rest[1] is 0xBE or 0xBF):
                        // U+F000..U+FFFD: plain text.
                        Byte(b);
                        Raw(rest[..2]);
                        rest = rest[2..];
                        break;
                    default:
                        throw Unfit(b == 0xEF ? 0xFFFE + (rest[1] - 0xBE) : b, nameof(utf8));
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The refusal of a character XML 1.0 cannot carry (the writer's callers see it as about a value they gave).</summary>
    private const int ShortText = 128;

    /// <summary>
    /// <see cref="Escaped"/> for a short value (a name with an ampersand, a quoted company): one pass byte by byte into
    /// room reserved up front (an escape is at most five bytes), instead of a search and a copy per piece.
    /// </summary>
    private void EscapedShort(ReadOnlySpan<byte> utf8)
    {
        Span<byte> copy = stackalloc byte[ShortText];
        utf8.CopyTo(copy);
        var source = copy[..utf8.Length];
        Ensure(source.Length * 5);
        var target = buffer.AsSpan(length);
        var at = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            scoped ReadOnlySpan<byte> entity;
            switch (b)
            {
                case >= 0x20 and not (byte)'<' and not (byte)'>' and not (byte)'&' and not 0xEF:
                case (byte)'\n' or (byte)'\t':
                    target[at++] = b;
                    continue;
                case (byte)'<':
                    entity = "&lt;"u8;
                    break;
                case (byte)'>':
                    entity = "&gt;"u8;
                    break;
                case (byte)'&':
                    entity = "&amp;"u8;
                    break;
                case (byte)'\r':
                    entity = "&#xD;"u8;
                    break;
                case 0xEF when !(source[i + 1] == 0xBF && source[i + 2] is 0xBE or 0xBF):
                    // U+F000..U+FFFD: plain text (the transcoder wrote whole characters, so both bytes follow).
                    entity = source.Slice(i, 3);
                    i += 2;
                    break;
                default:
                    throw Unfit(b == 0xEF ? 0xFFFE + (source[i + 2] - 0xBE) : b, nameof(utf8));
            }

            entity.CopyTo(target[at..]);
            at += entity.Length;
        }

        length += at;
    }

    private static ArgumentException Unfit(int character, string paramName) =>
        new($"A value holds the character U+{character:X4}, which XML 1.0 cannot carry", paramName);

    /// <summary>
    /// In UTF-8: ASCII markup and control characters, and the lead byte 0xEF of U+F000..U+FFFF, among them the
    /// non-characters U+FFFE and U+FFFF (the careful path tells them from the rest of the range).
    /// </summary>
    private static readonly SearchValues<byte> ByteCare = SearchValues.Create(ByteCareBytes());

    private static byte[] ByteCareBytes()
    {
        var care = new List<byte> { (byte)'<', (byte)'>', (byte)'&', 0xEF };
        for (var b = 0; b < 0x20; b++)
        {
            care.Add((byte)b);
        }

        return [.. care];
    }

    private void TextCarefully(string value)
    {
        var rest = value.AsSpan();
        while (rest.Length > 0)
        {
            var care = IndexOfCare(rest);
            var plain = care < 0 ? rest : rest[..care];
            if (plain.Length > 0)
            {
                Ensure(Utf8.GetMaxByteCount(plain.Length));
                length += Utf8.GetBytes(plain, buffer.AsSpan(length));
            }

            if (care < 0)
            {
                return;
            }

            var c = rest[care];
            rest = rest[(care + 1)..];
            switch (c)
            {
                case '<':
                    Ascii("&lt;");
                    break;
                case '>':
                    Ascii("&gt;");
                    break;
                case '&':
                    Ascii("&amp;");
                    break;
                case '\r':
                    Ascii("&#xD;");
                    break;
                case '\n' or '\t':
                    Byte((byte)c);
                    break;
                case >= '\uE000' and <= '\uFFFD':
                    Ensure(3);
                    length += Utf8.GetBytes([c], buffer.AsSpan(length));
                    break;
                case >= '\uD800' and <= '\uDBFF' when rest.Length > 0 && char.IsLowSurrogate(rest[0]):
                    Ensure(4);
                    length += Utf8.GetBytes([c, rest[0]], buffer.AsSpan(length));
                    rest = rest[1..];
                    break;
                default:
                    throw Unfit(c, nameof(value));
            }
        }
    }

    /// <summary>
    /// The first character needing care: ASCII markup or control characters, or anything from U+D800 up (surrogates
    /// and U+FFFE/U+FFFF, checked one by one; the rest of that range is plain). Two vectorized searches: one
    /// search over the full care set (ranges included) ran per character and cost more than the rest of the writer.
    /// </summary>
    private static int IndexOfCare(ReadOnlySpan<char> text)
    {
        var ascii = text.IndexOfAny(AsciiCare);
        var high = (ascii < 0 ? text : text[..ascii]).IndexOfAnyInRange('\uD800', '\uFFFF');
        return high >= 0 ? high : ascii;
    }

    private static readonly System.Buffers.SearchValues<char> AsciiCare = System.Buffers.SearchValues.Create(AsciiCareCharacters());

    private static string AsciiCareCharacters()
    {
        var care = new StringBuilder("<>&");
        for (var c = '\0'; c < ' '; c++)
        {
            care.Append(c);
        }

        return care.ToString();
    }

    private void Number(long value)
    {
        Ensure(20);
        value.TryFormat(buffer.AsSpan(length), out var written, default, CultureInfo.InvariantCulture);
        length += written;
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    // Only ASCII constants come here.
    private void Ascii(string text)
    {
        Ensure(text.Length);
        length += Encoding.ASCII.GetBytes(text, buffer.AsSpan(length));
    }

    private void Byte(byte value)
    {
        Ensure(1);
        buffer[length++] = value;
    }

    private void Ensure(int more)
    {
        if (length + more <= buffer.Length)
        {
            return;
        }

        var bigger = Take((int)Math.Min(Math.Max(buffer.Length * 2L, (long)length + more), Array.MaxLength));
        buffer.AsSpan(0, length).CopyTo(bigger);
        Return(buffer);
        buffer = bigger;
    }
}
