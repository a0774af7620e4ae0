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
internal ref partial struct Utf8RpcReader
{
    private const int MaxDepth = 64;
    private const int MaxAttributes = 32;
    private const int Templates = 4;
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";
    private const string XmlNamespace = "http://www.w3.org/XML/1998/namespace";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Markup and what needs decoding in text or attribute values; CR is normalised by XML, so it sends us back to XmlReader.
    private static readonly SearchValues<byte> TextStops = SearchValues.Create("<&\r]"u8);
    private static readonly SearchValues<byte> ValueStops = SearchValues.Create(ValueStopBytes());

    // Single ASCII characters as strings, so the "0".."7" of a 1000-code answer cost nothing.
    private static readonly string[] OneChar = [.. Enumerable.Range(0, 128).Select(c => ((char)c).ToString())];

    private readonly ReadOnlySpan<byte> xml;
    private int pos;

    // In-scope namespace declarations, innermost last; a scope ends by truncating to its start.
    private readonly BindingStack bindings;
    private readonly List<(byte[] Bytes, string Name)> names;
    private readonly List<string> uris;
    private readonly (int Start, int PrefixLength, int Length, int ValueStart, int ValueEnd)[] attributes;

    // Start tags read in full, kept as templates for the tags that repeat them (see FromTemplate); the last used first.
    private readonly TagTemplate?[] templates;

    // The typed path's flat nodes (Utf8RpcReader.Arrays.cs): pooled, returned when the read ends.
    private FlatNode[]? flat;
    private int flatCount;
    private int[]? kids;
    private int kidCount;
    private int[]? pending;
    private int pendingCount;
    private int[]? byId;
    private List<string>? texts;

    private Utf8RpcReader(ReadOnlySpan<byte> xml)
    {
        this.xml = xml;
        bindings = new BindingStack();
        names = new List<(byte[], string)>(8);
        uris = new List<string>(4);
        attributes = new (int, int, int, int, int)[MaxAttributes];
        templates = new TagTemplate?[Templates];
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

    private RpcResult? ReadEnvelope(PlatformOperation operation) => OpenBody(out var body) ? Body(operation, body) : null;

    /// <summary>The prolog, the envelope and whatever comes before its Body (a Header, skipped whole), up to the Body's start tag.</summary>
    private bool OpenBody(out StartTag body)
    {
        body = default;
        if (xml.StartsWith("\uFEFF"u8))
        {
            pos = 3;
        }

        if (!Prolog())
        {
            return false;
        }

        // The envelope element.
        if (!Element(out var start) || start.Ns != SoapNamespaces.Envelope || start.Local != "Envelope" || start.Empty)
        {
            return false;
        }

        // Its children up to the Body; anything before it (a Header) is skipped whole.
        while (true)
        {
            SkipWhitespace();
            if (!At('<') || Peek(1) == '/')
            {
                return false;
            }

            if (!Element(out var child))
            {
                return false;
            }

            if (child.Ns == SoapNamespaces.Envelope && child.Local == "Body")
            {
                body = child;
                return !child.Empty;
            }

            if (!child.Empty && !Skip(child, 1))
            {
                return false;
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

        var node = new SoapNode { Name = start.Local, Id = Value(start.Id), Href = Value(start.Href), IsNil = start.Nil };
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
        if (xml[pos..].StartsWith("<?xml"u8) && !Declaration())
        {
            return false;
        }

        SkipWhitespace();
        return At('<') && Peek(1) != '?' && Peek(1) != '!';
    }

    /// <summary>
    /// The XML declaration as XML 1.0 writes it: version 1.0, then optionally encoding UTF-8 and standalone yes or no,
    /// in that order; any other declaration (or a broken one, which the reference refuses) is the reference's to judge.
    /// </summary>
    private bool Declaration()
    {
        pos += "<?xml".Length;
        if (!Pseudo("version"u8, out var version) || !version.SequenceEqual("1.0"u8))
        {
            return false;
        }

        var mark = pos;
        if (Pseudo("encoding"u8, out var encoding))
        {
            if (!Ascii.EqualsIgnoreCase(encoding, "utf-8"u8))
            {
                return false;
            }

            mark = pos;
        }

        pos = mark;
        if (Pseudo("standalone"u8, out var standalone))
        {
            if (!standalone.SequenceEqual("yes"u8) && !standalone.SequenceEqual("no"u8))
            {
                return false;
            }

            mark = pos;
        }

        pos = mark;
        SkipWhitespace();
        if (!xml[pos..].StartsWith("?>"u8))
        {
            return false;
        }

        pos += 2;
        return true;
    }

    /// <summary>One pseudo-attribute of the declaration: whitespace, the name, '=', a quoted value (no markup in it).</summary>
    private bool Pseudo(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!SkipWhitespace() || !xml[pos..].StartsWith(name))
        {
            return false;
        }

        pos += name.Length;
        if (!EqualsThenQuote())
        {
            return false;
        }

        var close = xml[(pos + 1)..].IndexOf(xml[pos]);
        if (close < 0)
        {
            return false;
        }

        value = xml.Slice(pos + 1, close);
        pos += close + 2;
        return true;
    }

    /// <summary>An attribute's '=' between optional whitespace, up to its value's opening quote (left at it).</summary>
    private bool EqualsThenQuote()
    {
        SkipWhitespace();
        if (!At('='))
        {
            return false;
        }

        pos++;
        SkipWhitespace();
        return pos < xml.Length && (xml[pos] == '"' || xml[pos] == '\'');
    }

    private readonly ref struct StartTag(string local, string ns, int qname, int qnameLength, int scope, bool empty, Range id, Range href, bool nil)
    {
        public string Local { get; } = local;

        public string Ns { get; } = ns;

        /// <summary>Where the tag's qualified name is in the input, for matching the end tag.</summary>
        public int QName { get; } = qname;

        public int QNameLength { get; } = qnameLength;

        /// <summary>The count of namespace bindings before this element's own.</summary>
        public int Scope { get; } = scope;

        public bool Empty { get; } = empty;

        /// <summary>Where the value of the <c>id</c> attribute is in the input; <see cref="Range.None"/> without one.</summary>
        public Range Id { get; } = id;

        public Range Href { get; } = href;

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

        if (FromTemplate(out tag))
        {
            return true;
        }

        var tagStart = pos;
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

            if (!EqualsThenQuote())
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
            if (!PlainValue(value))
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

        var id = Range.None;
        var href = Range.None;
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
                    id = new(valueStart, valueEnd);
                }
                else if (name.SequenceEqual("href"u8))
                {
                    href = new(valueStart, valueEnd);
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
        Remember(new TagTemplate(xml[tagStart..pos].ToArray(), Hole(id), Hole(href), local, ns, nameLength, empty, nil, bindings.All.ToArray(), scope));
        if (empty)
        {
            EndScope(scope);
        }

        return true;

        (int Start, int End) Hole(Range value) => value.IsNone ? (-1, -1) : (value.Start - tagStart, value.End - tagStart);
    }

    /// <summary>
    /// A start tag that repeats a template byte for byte, but for the values of <c>id</c> and <c>href</c>, under the
    /// same namespace bindings (the same prefix arrays and URI strings, which are interned): it reads as the template
    /// read, with its own id and href. Axis writes a thousand multiRefs or items that differ only there, and reading
    /// each in full (names, attributes, prefixes) was most of the cost of a large answer.
    /// </summary>
    private bool FromTemplate(out StartTag tag)
    {
        tag = default;
        var rest = xml[pos..];
        for (var i = 0; i < templates.Length; i++)
        {
            var template = templates[i];
            if (template is null)
            {
                return false;
            }

            if (!template.Match(rest, out var length, out var id, out var href) || !template.SameScope(bindings.All))
            {
                continue;
            }

            var scope = bindings.Count;
            if (!template.Empty)
            {
                foreach (var declaration in template.Declarations)
                {
                    bindings.Add(declaration);
                }
            }

            tag = new StartTag(template.Local, template.Ns, pos + 1, template.QNameLength, scope, template.Empty, id.Start < 0 ? Range.None : new(pos + id.Start, pos + id.End), href.Start < 0 ? Range.None : new(pos + href.Start, pos + href.End), template.Nil);
            pos += length;
            if (i > 0)
            {
                // Kept first while it matches: the next tag most likely repeats it again.
                (templates[0], templates[i]) = (template, templates[0]);
            }

            return true;
        }

        return false;
    }

    private readonly void Remember(TagTemplate template)
    {
        // The oldest goes; the newest comes first.
        Array.Copy(templates, 0, templates, 1, templates.Length - 1);
        templates[0] = template;
    }

    /// <summary>An end tag at <c>&lt;/</c> matching the start tag's name at <paramref name="qname"/>.</summary>
    private bool EndTag(int scope, int qname, int qnameLength)
    {
        // The common case, "</name>" right after "</": the name was checked at the start tag already.
        var closing = pos + 2 + qnameLength;
        if (closing < xml.Length && xml[closing] == '>' && xml.Slice(pos + 2, qnameLength).SequenceEqual(xml.Slice(qname, qnameLength)))
        {
            pos = closing + 1;
            EndScope(scope);
            return true;
        }

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

    private readonly void EndScope(int scope) => bindings.Truncate(scope);

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

        var all = bindings.All;
        for (var i = all.Length - 1; i >= 0; i--)
        {
            var (boundPrefix, uri) = all[i];
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

    /// <summary>
    /// Whether an attribute value reads as its bytes: '&lt;' is illegal in a value, references and whitespace that XML
    /// normalises are the reference reader's job, and so are control characters and UTF-8 that is broken or encodes
    /// U+FFFE/U+FFFF (the reference refuses them; values the tree never decodes must be refused here too).
    /// </summary>
    private static bool PlainValue(ReadOnlySpan<byte> value)
    {
        var stop = value.IndexOfAny(ValueStops);
        if (stop < 0)
        {
            return true;
        }

        var rest = value[stop..];
        if (rest.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || rest.IndexOfAny((byte)'<', (byte)'&') >= 0)
        {
            return false;
        }

        return System.Text.Unicode.Utf8.IsValid(rest) && rest.IndexOf(NonCharacterFFFE) < 0 && rest.IndexOf(NonCharacterFFFF) < 0;
    }

    private static ReadOnlySpan<byte> NonCharacterFFFE => [0xEF, 0xBF, 0xBE];

    private static ReadOnlySpan<byte> NonCharacterFFFF => [0xEF, 0xBF, 0xBF];

    private static byte[] ValueStopBytes()
    {
        var stops = new List<byte> { (byte)'<', (byte)'&' };
        for (var b = 0; b < 0x20; b++)
        {
            stops.Add((byte)b);
        }

        for (var b = 0x80; b <= 0xFF; b++)
        {
            stops.Add((byte)b);
        }

        return [.. stops];
    }

    /// <summary>An attribute value the tag holds, decoded (it throws on what <see cref="Decode"/> refuses); null when absent.</summary>
    private readonly string? Value(Range value) => value.IsNone ? null : Decode(xml[value.Start..value.End]);

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

    /// <summary>
    /// A start tag read in full: its bytes (from <c>&lt;</c> to <c>&gt;</c>), where its id and href values are in them
    /// (start -1: none), what it read to, and the namespace bindings it was read under and declared.
    /// </summary>
    private sealed class TagTemplate(byte[] bytes, (int Start, int End) id, (int Start, int End) href, string local, string ns, int qnameLength, bool empty, bool nil, (byte[] Prefix, string Uri)[] bindings, int scope)
    {
        private readonly (int Start, int End) first = id.Start >= 0 && (href.Start < 0 || id.Start < href.Start) ? id : href;
        private readonly (int Start, int End) second = id.Start >= 0 && href.Start >= 0 ? (id.Start < href.Start ? href : id) : (-1, -1);
        private readonly bool idFirst = id.Start >= 0 && (href.Start < 0 || id.Start < href.Start);

        public string Local { get; } = local;

        public string Ns { get; } = ns;

        public int QNameLength { get; } = qnameLength;

        public bool Empty { get; } = empty;

        public bool Nil { get; } = nil;

        /// <summary>The bindings the tag itself declares, in order.</summary>
        public (byte[] Prefix, string Uri)[] Declarations { get; } = bindings[scope..];

        private (byte[] Prefix, string Uri)[] Scope { get; } = bindings[..scope];

        /// <summary>Whether the bindings in scope are the template's own (the same arrays and strings, in the same order).</summary>
        public bool SameScope(ReadOnlySpan<(byte[] Prefix, string Uri)> current)
        {
            if (current.Length != Scope.Length)
            {
                return false;
            }

            for (var i = 0; i < Scope.Length; i++)
            {
                if (!ReferenceEquals(current[i].Prefix, Scope[i].Prefix) || !ReferenceEquals(current[i].Uri, Scope[i].Uri))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Whether <paramref name="xml"/> starts with this tag: the same bytes outside the id and href values, and in
        /// them a value as the full read takes it (up to the template's closing quote, nothing XML would normalise).
        /// </summary>
        public bool Match(ReadOnlySpan<byte> xml, out int length, out (int Start, int End) id, out (int Start, int End) href)
        {
            length = 0;
            id = (-1, -1);
            href = (-1, -1);
            var at = 0;
            var from = 0;
            (int Start, int End) firstValue = (-1, -1);
            (int Start, int End) secondValue = (-1, -1);
            if (first.Start >= 0 && !Value(xml, first, ref at, ref from, out firstValue))
            {
                return false;
            }

            if (second.Start >= 0 && !Value(xml, second, ref at, ref from, out secondValue))
            {
                return false;
            }

            var tail = bytes.AsSpan(from);
            if (!xml[at..].StartsWith(tail))
            {
                return false;
            }

            length = at + tail.Length;
            if (idFirst)
            {
                id = firstValue;
                href = secondValue;
            }
            else
            {
                href = firstValue;
                id = secondValue;
            }

            return true;
        }

        private bool Value(ReadOnlySpan<byte> xml, (int Start, int End) hole, ref int at, ref int from, out (int Start, int End) value)
        {
            value = default;
            var same = bytes.AsSpan(from, hole.Start - from);
            if (!xml[at..].StartsWith(same))
            {
                return false;
            }

            at += same.Length;
            var quote = bytes[hole.End];
            var end = ShortPlainValue(xml[at..], quote);
            if (end < 0)
            {
                end = xml[at..].IndexOf(quote);
                if (end < 0 || !PlainValue(xml.Slice(at, end)))
                {
                    return false;
                }
            }

            value = (at, at + end);
            at += end;
            from = hole.End;
            return true;
        }
    }

    /// <summary>Where something is in the input, as byte offsets; <see cref="None"/> = absent.</summary>
    private readonly record struct Range(int Start, int End)
    {
        public static Range None { get; } = new(-1, -1);

        public bool IsNone => Start < 0;
    }

    /// <summary>
    /// The length of a short value up to its closing quote when it is printable ASCII without '&lt;' or '&amp;'; -1 when
    /// it is longer or holds anything else (the vectorized checks judge it then). Axis's ids and hrefs are a few bytes,
    /// and for them a plain loop beats the two searches' calls.
    /// </summary>
    private static int ShortPlainValue(ReadOnlySpan<byte> rest, byte quote)
    {
        var limit = Math.Min(rest.Length, 24);
        for (var i = 0; i < limit; i++)
        {
            var b = rest[i];
            if (b == quote)
            {
                return i;
            }

            if (b is < 0x20 or >= 0x80 or (byte)'<' or (byte)'&')
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>The namespace declarations in scope, innermost last; a scope ends by truncating to its start.</summary>
    private sealed class BindingStack
    {
        private (byte[] Prefix, string Uri)[] items = new (byte[], string)[8];

        public int Count { get; private set; }

        public ReadOnlySpan<(byte[] Prefix, string Uri)> All => items.AsSpan(0, Count);

        public void Add((byte[] Prefix, string Uri) binding)
        {
            if (Count == items.Length)
            {
                Array.Resize(ref items, items.Length * 2);
            }

            items[Count++] = binding;
        }

        public void Truncate(int count)
        {
            // The strings and arrays stay referenced by the reader's tables anyway; only the count matters.
            Count = count;
        }
    }
}
