using System.Buffers;
using System.Text;

namespace CampaignEtl.Platform.Soap;

/// <summary>
/// The fast path for answers: reads an rpc/encoded envelope straight from its UTF-8 bytes into the same
/// <see cref="SoapNode"/>s <see cref="RpcResponseReader"/> builds, without an XmlReader (whose per-attribute and
/// namespace bookkeeping was most of the CPU of reading a 1000-code answer). It accepts only the plain subset the
/// platform sends: UTF-8, elements, attributes, text with the predefined and numeric character references.
/// Anything else (a fault, a comment, CDATA, a DOCTYPE, another encoding, a broken or truncated document, an
/// unexpected element) makes it give up, and the caller reads the answer again with <see cref="RpcResponseReader"/>,
/// which is the reference for every answer and owns every error message.
/// </summary>
internal ref struct Utf8RpcReader
{
    private const int MaxDepth = 64;
    private const int MaxAttributes = 32;
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";
    private const string XmlNamespace = "http://www.w3.org/XML/1998/namespace";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Markup and what needs decoding in text or attribute values; CR is normalised by XML, so it sends us back to XmlReader.
    private static readonly SearchValues<byte> TextStops = SearchValues.Create("<&\r]"u8);
    private static readonly SearchValues<byte> ValueStops = SearchValues.Create("<&\t\n\r"u8);

    // Single ASCII characters as strings, so the "0".."7" of a 1000-code answer cost nothing.
    private static readonly string[] OneChar = [.. Enumerable.Range(0, 128).Select(c => ((char)c).ToString())];

    private readonly ReadOnlySpan<byte> xml;
    private int pos;

    // In-scope namespace declarations, innermost last; a scope ends by truncating to its start.
    private readonly List<(byte[] Prefix, string Uri)> bindings;
    private readonly List<(byte[] Bytes, string Name)> names;
    private readonly List<string> uris;
    private readonly (int Start, int PrefixLength, int Length, int ValueStart, int ValueEnd)[] attributes;

    private Utf8RpcReader(ReadOnlySpan<byte> xml)
    {
        this.xml = xml;
        bindings = new List<(byte[], string)>(8);
        names = new List<(byte[], string)>(8);
        uris = new List<string>(4);
        attributes = new (int, int, int, int, int)[MaxAttributes];
    }

    /// <summary>The decoded answer, or null when the bytes are outside the fast subset (or not a plain answer); then read them with <see cref="RpcResponseReader"/>.</summary>
    public static RpcResult? TryRead(ReadOnlySpan<byte> xml, PlatformOperation operation)
    {
        var reader = new Utf8RpcReader(xml);
        try
        {
            return reader.ReadEnvelope(operation);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private RpcResult? ReadEnvelope(PlatformOperation operation)
    {
        if (xml.StartsWith("\uFEFF"u8))
        {
            pos = 3;
        }

        if (!Prolog())
        {
            return null;
        }

        // The envelope element.
        if (!Element(out var start) || start.Ns != SoapNamespaces.Envelope || start.Local != "Envelope" || start.Empty)
        {
            return null;
        }

        // Its children up to the Body; anything before it (a Header) is skipped whole.
        while (true)
        {
            SkipWhitespace();
            if (!At('<') || Peek(1) == '/')
            {
                return null;
            }

            if (!Element(out var child))
            {
                return null;
            }

            if (child.Ns == SoapNamespaces.Envelope && child.Local == "Body")
            {
                if (child.Empty)
                {
                    return null;
                }

                return Body(operation, child);
            }

            if (!child.Empty && !Skip(child, 1))
            {
                return null;
            }
        }
    }

    /// <summary>The body's children, as <see cref="RpcResponseReader"/> reads them; null for a fault or anything it would refuse.</summary>
    private RpcResult? Body(PlatformOperation operation, in StartTag body)
    {
        var expected = operation.Name + "Response";
        Dictionary<string, SoapNode>? refs = null;
        SoapNode? wrapper = null;
        while (true)
        {
            // Text between the body's children is ignored, as the reference reader ignores it.
            if (!SkipText())
            {
                return null;
            }

            if (Peek(1) == '/')
            {
                if (!EndTag(body.Scope, body.QName, body.QNameLength))
                {
                    return null;
                }

                break;
            }

            if (!Element(out var start))
            {
                return null;
            }

            if (start.Ns == SoapNamespaces.Envelope && start.Local == "Fault")
            {
                return null;
            }

            var isWrapper = wrapper is null && start.Local == expected;
            if (isWrapper && start.Ns != operation.Service.Namespace)
            {
                return null;
            }

            var node = Node(start, 2);
            if (node is null)
            {
                return null;
            }

            if (node.Id is not null)
            {
                // Sized from the answer (a multiRef takes about 200 bytes), so a 1000-item answer never rehashes.
                refs ??= new Dictionary<string, SoapNode>(Math.Min(xml.Length / 160, 1 << 16), StringComparer.Ordinal);
                refs[node.Id] = node;
            }
            else if (isWrapper)
            {
                wrapper = node;
            }
            else if (wrapper is null)
            {
                return null;
            }
        }

        if (wrapper is null)
        {
            return null;
        }

        var returnPart = wrapper.Children is { Count: > 0 } children ? children[0] : null;
        if (returnPart is null && operation.ReturnType is not null)
        {
            return null;
        }

        return new RpcResult(operation.Key, returnPart, refs);
    }

    /// <summary>One element from its start tag (already read) to its end tag, as <see cref="RpcResponseReader"/>'s ReadNode builds it.</summary>
    private SoapNode? Node(in StartTag start, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        var node = new SoapNode { Name = start.Local, Id = start.Id, Href = start.Href, IsNil = start.Nil };
        if (start.Empty)
        {
            return node;
        }

        string? text = null;
        StringBuilder? more = null;
        while (true)
        {
            if (pos >= xml.Length)
            {
                return null;
            }

            if (xml[pos] != '<')
            {
                var piece = Text();
                if (piece is null)
                {
                    return null;
                }

                if (text is null)
                {
                    text = piece;
                }
                else
                {
                    (more ??= new StringBuilder(text)).Append(piece);
                }

                continue;
            }

            if (Peek(1) == '/')
            {
                if (!EndTag(start.Scope, start.QName, start.QNameLength))
                {
                    return null;
                }

                node.Text = more?.ToString() ?? text;
                return node;
            }

            if (!Element(out var childStart))
            {
                return null;
            }

            var child = Node(childStart, depth + 1);
            if (child is null)
            {
                return null;
            }

            (node.Children ??= []).Add(child);
        }
    }

    /// <summary>An element's content skipped whole (a SOAP Header); false if it is not plain and well formed.</summary>
    private bool Skip(in StartTag start, int depth)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        while (true)
        {
            if (!SkipText())
            {
                return false;
            }

            if (Peek(1) == '/')
            {
                return EndTag(start.Scope, start.QName, start.QNameLength);
            }

            if (!Element(out var child) || (!child.Empty && !Skip(child, depth + 1)))
            {
                return false;
            }
        }
    }

    /// <summary>The XML declaration, if any: UTF-8 or none at all; other processing instructions and DOCTYPEs are not ours.</summary>
    private bool Prolog()
    {
        if (xml[pos..].StartsWith("<?xml "u8))
        {
            var end = xml[pos..].IndexOf("?>"u8);
            if (end < 0)
            {
                return false;
            }

            var declaration = xml.Slice(pos, end);
            var encoding = declaration.IndexOf("encoding"u8);
            if (encoding >= 0)
            {
                var rest = declaration[(encoding + "encoding".Length)..].TrimStart(" \t\n"u8);
                if (rest.Length < 2 || rest[0] != '=')
                {
                    return false;
                }

                rest = rest[1..].TrimStart(" \t\n"u8);
                if (rest.Length < 7 || (rest[0] != '"' && rest[0] != '\'') || !Ascii.EqualsIgnoreCase(rest.Slice(1, 5), "utf-8"u8) || rest[6] != rest[0])
                {
                    return false;
                }
            }

            pos += end + 2;
        }

        SkipWhitespace();
        return At('<') && Peek(1) != '?' && Peek(1) != '!';
    }

    private readonly ref struct StartTag(string local, string ns, int qname, int qnameLength, int scope, bool empty, string? id, string? href, bool nil)
    {
        public string Local { get; } = local;

        public string Ns { get; } = ns;

        /// <summary>Where the tag's qualified name is in the input, for matching the end tag.</summary>
        public int QName { get; } = qname;

        public int QNameLength { get; } = qnameLength;

        /// <summary>The count of namespace bindings before this element's own.</summary>
        public int Scope { get; } = scope;

        public bool Empty { get; } = empty;

        public string? Id { get; } = id;

        public string? Href { get; } = href;

        public bool Nil { get; } = nil;
    }

    /// <summary>A start tag at <c>&lt;</c>: its name resolved, its namespace declarations in scope, the attributes rpc/encoded uses.</summary>
    private bool Element(out StartTag tag)
    {
        tag = default;
        if (!At('<') || Peek(1) == '!' || Peek(1) == '?' || Peek(1) == '/')
        {
            return false;
        }

        pos++;
        var qname = pos;
        if (!Name(out var prefixLength, out var nameLength))
        {
            return false;
        }

        var scope = bindings.Count;
        var attributes = this.attributes;
        var count = 0;
        bool empty;
        while (true)
        {
            var spaced = SkipWhitespace();
            if (pos >= xml.Length)
            {
                return false;
            }

            if (xml[pos] == '>')
            {
                pos++;
                empty = false;
                break;
            }

            if (xml[pos] == '/')
            {
                if (Peek(1) != '>')
                {
                    return false;
                }

                pos += 2;
                empty = true;
                break;
            }

            if (!spaced || count == MaxAttributes)
            {
                return false;
            }

            var start = pos;
            if (!Name(out var attributePrefix, out var attributeLength))
            {
                return false;
            }

            SkipWhitespace();
            if (!At('='))
            {
                return false;
            }

            pos++;
            SkipWhitespace();
            if (pos >= xml.Length || (xml[pos] != '"' && xml[pos] != '\''))
            {
                return false;
            }

            var quote = xml[pos];
            var valueStart = pos + 1;
            var close = xml[valueStart..].IndexOf(quote);
            if (close < 0)
            {
                return false;
            }

            var value = xml.Slice(valueStart, close);
            // '<' is illegal in a value; references and whitespace that XML normalises are the reference reader's job.
            if (value.IndexOfAny(ValueStops) >= 0)
            {
                return false;
            }

            var attributeName = xml.Slice(start, attributeLength);
            for (var i = 0; i < count; i++)
            {
                if (xml.Slice(attributes[i].Start, attributes[i].Length).SequenceEqual(attributeName))
                {
                    return false;
                }
            }

            attributes[count++] = (start, attributePrefix, attributeLength, valueStart, valueStart + close);
            pos = valueStart + close + 1;

            if (attributeName.SequenceEqual("xmlns"u8))
            {
                bindings.Add(([], Uri(value)));
            }
            else if (attributePrefix == 5 && attributeName.StartsWith("xmlns:"u8))
            {
                if (value.IsEmpty)
                {
                    return false;
                }

                bindings.Add((PrefixBytes(attributeName[6..]), Uri(value)));
            }
        }

        // Names resolve against the element's own declarations too, so attributes are read after all of them.
        var elementPrefix = xml.Slice(qname, prefixLength);
        var ns = Resolve(elementPrefix, forElement: true);
        if (ns is null)
        {
            return false;
        }

        string? id = null;
        string? href = null;
        var nil = false;
        for (var i = 0; i < count; i++)
        {
            var (start, attributePrefix, length, valueStart, valueEnd) = attributes[i];
            var name = xml.Slice(start, length);
            var value = xml[valueStart..valueEnd];
            if (attributePrefix == 0)
            {
                if (name.SequenceEqual("id"u8))
                {
                    id = Decode(value);
                }
                else if (name.SequenceEqual("href"u8))
                {
                    href = Decode(value);
                }

                continue;
            }

            var prefix = name[..attributePrefix];
            if (prefix.SequenceEqual("xmlns"u8))
            {
                continue;
            }

            var attributeNs = Resolve(prefix, forElement: false);
            if (attributeNs is null)
            {
                return false;
            }

            if (attributeNs == SoapNamespaces.Xsi && name[(attributePrefix + 1)..].SequenceEqual("nil"u8))
            {
                var trimmed = value.Trim(" "u8);
                nil = trimmed.SequenceEqual("true"u8) || trimmed.SequenceEqual("1"u8);
            }
        }

        var local = Intern(xml.Slice(prefixLength == 0 ? qname : qname + prefixLength + 1, prefixLength == 0 ? nameLength : nameLength - prefixLength - 1));
        tag = new StartTag(local, ns, qname, nameLength, scope, empty, id, href, nil);
        if (empty)
        {
            EndScope(scope);
        }

        return true;
    }

    /// <summary>An end tag at <c>&lt;/</c> matching the start tag's name at <paramref name="qname"/>.</summary>
    private bool EndTag(int scope, int qname, int qnameLength)
    {
        pos += 2;
        var start = pos;
        if (!Name(out _, out var length))
        {
            return false;
        }

        if (!xml.Slice(start, length).SequenceEqual(xml.Slice(qname, qnameLength)))
        {
            return false;
        }

        SkipWhitespace();
        if (!At('>'))
        {
            return false;
        }

        pos++;
        EndScope(scope);
        return true;
    }

    private void EndScope(int scope) => bindings.RemoveRange(scope, bindings.Count - scope);

    private string? Resolve(ReadOnlySpan<byte> prefix, bool forElement)
    {
        if (prefix.IsEmpty && !forElement)
        {
            return string.Empty;
        }

        if (prefix.SequenceEqual("xml"u8))
        {
            return XmlNamespace;
        }

        for (var i = bindings.Count - 1; i >= 0; i--)
        {
            var (boundPrefix, uri) = bindings[i];
            if (prefix.SequenceEqual(boundPrefix))
            {
                return uri;
            }
        }

        return prefix.IsEmpty ? string.Empty : null;
    }

    /// <summary>An ASCII name (non-ASCII names are left to the reference reader); the prefix length when it has one colon inside.</summary>
    private bool Name(out int prefixLength, out int length)
    {
        prefixLength = 0;
        length = 0;
        var rest = xml[pos..];
        if (rest.IsEmpty || !IsNameStart(rest[0]))
        {
            return false;
        }

        // Names are short: a plain loop beats a vectorized search here.
        var colon = -1;
        var end = 1;
        while (end < rest.Length && IsNameByte(rest[end]))
        {
            if (rest[end] == ':')
            {
                if (colon >= 0)
                {
                    return false;
                }

                colon = end;
            }

            end++;
        }

        if (end == rest.Length || end - 1 == colon || (colon > 0 && !IsNameStart(rest[colon + 1])))
        {
            return false;
        }

        prefixLength = colon < 0 ? 0 : colon;
        length = end;
        pos += end;
        return true;

        static bool IsNameStart(byte b) => NameByteKinds[b] == 2;

        static bool IsNameByte(byte b) => NameByteKinds[b] != 0;
    }

    // Per byte: 2 = may start a name (ASCII letter, '_'), 1 = may continue one (digit, '-', '.', ':'), 0 = neither.
    private static ReadOnlySpan<byte> NameByteKinds =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
        0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 2,
        0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// <summary>A declared prefix as bytes, the same array each time (Axis declares soapenc on every multiRef).</summary>
    private byte[] PrefixBytes(ReadOnlySpan<byte> prefix)
    {
        foreach (var (bytes, _) in names)
        {
            if (prefix.SequenceEqual(bytes))
            {
                return bytes;
            }
        }

        var added = prefix.ToArray();
        if (names.Count < 64)
        {
            names.Add((added, Encoding.ASCII.GetString(prefix)));
        }

        return added;
    }

    /// <summary>A namespace URI, the same string each time it is declared (Axis declares soapenc on every multiRef).</summary>
    private string Uri(ReadOnlySpan<byte> value)
    {
        foreach (var known in uris)
        {
            if (known.Length == value.Length && Ascii.Equals(value, known))
            {
                return known;
            }
        }

        var added = Decode(value);
        if (uris.Count < 16)
        {
            uris.Add(added);
        }

        return added;
    }

    /// <summary>Character data up to the next markup, decoded; null if it holds anything the reference reader should judge.</summary>
    private string? Text()
    {
        var rest = xml[pos..];
        var stop = rest.IndexOfAny(TextStops);
        if (stop < 0)
        {
            return null;
        }

        var raw = rest[..stop];
        if (rest[stop] != '<')
        {
            // A reference, a CR or ']' (for "]]>", illegal in text): the general, slower decoding.
            return TextWithReferences();
        }

        pos += stop;
        return Decode(raw);
    }

    private string? TextWithReferences()
    {
        var builder = new StringBuilder();
        while (pos < xml.Length && xml[pos] != '<')
        {
            var rest = xml[pos..];
            var stop = rest.IndexOfAny(TextStops);
            if (stop < 0)
            {
                return null;
            }

            builder.Append(Decode(rest[..stop]));
            pos += stop;
            switch (xml[pos])
            {
                case (byte)'<':
                    continue;
                case (byte)']':
                    if (xml[pos..].StartsWith("]]>"u8))
                    {
                        return null;
                    }

                    builder.Append(']');
                    pos++;
                    continue;
                case (byte)'&':
                    if (!Reference(builder))
                    {
                        return null;
                    }

                    continue;
                default:
                    return null;
            }
        }

        return pos < xml.Length ? builder.ToString() : null;
    }

    /// <summary>A predefined entity or a character reference; anything else (an entity a DTD would define) is not ours.</summary>
    private bool Reference(StringBuilder builder)
    {
        var rest = xml[(pos + 1)..];
        var semicolon = rest.IndexOf((byte)';');
        if (semicolon < 1 || semicolon > 10)
        {
            return false;
        }

        var name = rest[..semicolon];
        char? c = name switch
        {
            _ when name.SequenceEqual("lt"u8) => '<',
            _ when name.SequenceEqual("gt"u8) => '>',
            _ when name.SequenceEqual("amp"u8) => '&',
            _ when name.SequenceEqual("quot"u8) => '"',
            _ when name.SequenceEqual("apos"u8) => '\'',
            _ => null,
        };
        if (c is { } single)
        {
            builder.Append(single);
        }
        else if (name[0] == '#' && CodePoint(name[1..]) is { } code)
        {
            builder.Append(char.ConvertFromUtf32(code));
        }
        else
        {
            return false;
        }

        pos += semicolon + 2;
        return true;
    }

    private static int? CodePoint(ReadOnlySpan<byte> digits)
    {
        var hex = digits.Length > 0 && digits[0] == 'x';
        if (hex)
        {
            digits = digits[1..];
        }

        if (digits.IsEmpty || !int.TryParse(digits, hex ? System.Globalization.NumberStyles.AllowHexSpecifier : System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return null;
        }

        return IsXmlChar(code) ? code : null;
    }

    private static bool IsXmlChar(int code) =>
        code is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);

    /// <summary>Text without references; UTF-8 that is broken or holds characters XML 1.0 cannot carry throws (the caller falls back).</summary>
    private static string Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.Length == 1 && raw[0] is >= 0x20 and < 0x80)
        {
            return OneChar[raw[0]];
        }

        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        // Control characters other than TAB and LF (CR never gets here), and U+FFFE/U+FFFF, are not XML.
        var control = raw.IndexOfAnyInRange((byte)0, (byte)0x1F);
        if (control >= 0)
        {
            foreach (var b in raw[control..])
            {
                if (b < 0x20 && b != '\t' && b != '\n')
                {
                    throw new DecoderFallbackException("a control character");
                }
            }
        }

        var text = StrictUtf8.GetString(raw);
        if (text.AsSpan().IndexOfAny('\uFFFE', '\uFFFF') >= 0)
        {
            throw new DecoderFallbackException("a non-character");
        }

        return text;
    }

    private string Intern(ReadOnlySpan<byte> name)
    {
        foreach (var (bytes, known) in names)
        {
            if (name.SequenceEqual(bytes))
            {
                return known;
            }
        }

        var added = Encoding.ASCII.GetString(name);
        if (names.Count < 64)
        {
            names.Add((name.ToArray(), added));
        }

        return added;
    }

    private bool SkipWhitespace()
    {
        var start = pos;
        while (pos < xml.Length && xml[pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            pos++;
        }

        return pos > start;
    }

    /// <summary>Text the reference reader ignores (between the body's children): skipped up to the next tag, which must be there.</summary>
    private bool SkipText()
    {
        if (pos < xml.Length && xml[pos] != '<')
        {
            var text = Text();
            if (text is null)
            {
                return false;
            }
        }

        return At('<');
    }

    private readonly bool At(char c) => pos < xml.Length && xml[pos] == c;

    private readonly int Peek(int ahead) => pos + ahead < xml.Length ? xml[pos + ahead] : -1;
}
