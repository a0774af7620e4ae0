using System.Globalization;
using System.Xml;

namespace CampaignEtl.Platform.Soap;

/// <summary>One element of a response body, reduced to what rpc/encoded needs.</summary>
internal sealed class SoapNode
{
    public required string Name { get; init; }

    public string? Id { get; set; }

    public string? Href { get; set; }

    public bool IsNil { get; set; }

    public string? Text { get; set; }

    public List<SoapNode>? Children { get; set; }
}

/// <summary>
/// The decoded answer of one call: the return part and every <c>multiRef</c> by id. References are
/// resolved on read, so multiRefs may come before or after the elements that point at them.
/// </summary>
internal sealed class RpcResult(string operation, SoapNode? returnPart, Dictionary<string, SoapNode>? refs)
{
    /// <summary>The longest href chain followed; a longer one is taken for a cycle.</summary>
    internal const int MaxHops = 32;

    public string Operation { get; } = operation;

    public SoapNode? ReturnPart { get; } = returnPart;

    public SoapNode Return => ReturnPart ?? throw PlatformException.BadResponse(Operation, "the response element holds no return value");

    public SoapNode Resolve(SoapNode node)
    {
        for (var hops = 0; node.Href is { } href; hops++)
        {
            if (hops == MaxHops)
            {
                throw PlatformException.BadResponse(Operation, $"href '{href}' is part of a reference cycle");
            }

            // Looked up by span: no substring per item of a 1000-item answer.
            var id = href.AsSpan(href.StartsWith('#') ? 1 : 0);
            if (refs is null || !refs.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out var target))
            {
                throw PlatformException.BadResponse(Operation, $"href '{href}' points at no multiRef element");
            }

            node = target;
        }

        return node;
    }

    public string? ReadString(SoapNode node)
    {
        node = Resolve(node);
        if (node.IsNil)
        {
            return null;
        }

        if (node.Children is { Count: > 0 })
        {
            throw PlatformException.BadResponse(Operation, $"<{node.Name}> holds elements where a string was expected");
        }

        return node.Text ?? string.Empty;
    }

    public int ReadInt(SoapNode node) => (int)ReadInteger(node, "xsd:int", int.MinValue, int.MaxValue);

    public long ReadLong(SoapNode node) => ReadInteger(node, "xsd:long", long.MinValue, long.MaxValue);

    public bool ReadBoolean(SoapNode node)
    {
        var text = ReadRequired(node, "xsd:boolean").Trim();
        return text switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw PlatformException.BadResponse(Operation, $"'{Clip(text)}' is not an xsd:boolean"),
        };
    }

    /// <summary>The items of a SOAP-encoded array; a nil array reads as empty (Axis sends nil for "nothing").</summary>
    public T[] ReadArray<T>(SoapNode node, Func<RpcResult, SoapNode, T> readItem)
    {
        node = Resolve(node);
        if (node.IsNil || node.Children is null)
        {
            if (!node.IsNil && !string.IsNullOrWhiteSpace(node.Text))
            {
                throw PlatformException.BadResponse(Operation, $"<{node.Name}> holds text where an array was expected");
            }

            return [];
        }

        var items = new T[node.Children.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = readItem(this, node.Children[i]);
        }

        return items;
    }

    public string?[] ReadStringArray(SoapNode node) => ReadArray(node, static (r, n) => r.ReadString(n));

    public int[] ReadIntArray(SoapNode node) => ReadArray(node, static (r, n) => r.ReadInt(n));

    public bool[] ReadBooleanArray(SoapNode node) => ReadArray(node, static (r, n) => r.ReadBoolean(n));

    public string?[][] ReadStringMatrix(SoapNode node) => ReadArray(node, static (r, n) => r.ReadStringArray(n));

    private long ReadInteger(SoapNode node, string type, long min, long max)
    {
        var text = ReadRequired(node, type);
        if (!long.TryParse(text.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw PlatformException.BadResponse(Operation, $"'{Clip(text)}' is not an {type}");
        }

        return value;
    }

    private string ReadRequired(SoapNode node, string type) =>
        ReadString(node) ?? throw PlatformException.BadResponse(Operation, $"<{Resolve(node).Name}> is nil where an {type} was expected");

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";
}

/// <summary>
/// Reads rpc/encoded response bodies in one forward pass over an <see cref="XmlReader"/>: no DOM, only
/// a small node per element; <c>multiRef</c> elements are kept by id and resolved after the pass.
/// </summary>
internal static class RpcResponseReader
{
    private const int MaxDepth = 64;

    /// <summary>Reads a whole envelope (fixtures, plain HTTP); the transport uses <see cref="ReadBody"/> on WCF's body reader.</summary>
    public static RpcResult ReadEnvelope(XmlReader reader, PlatformOperation operation, SecretScrubber? scrubber = null)
    {
        try
        {
            reader.MoveToContent();
            if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "Envelope" || reader.NamespaceURI != SoapNamespaces.Envelope)
            {
                throw PlatformException.BadResponse(operation.Key, $"expected a SOAP 1.1 Envelope, found <{reader.Name}> in namespace '{reader.NamespaceURI}'");
            }

            if (reader.IsEmptyElement)
            {
                throw PlatformException.BadResponse(operation.Key, "the envelope is empty");
            }

            reader.Read();
            while (true)
            {
                reader.MoveToContent();
                if (reader.NodeType != XmlNodeType.Element)
                {
                    throw PlatformException.BadResponse(operation.Key, "the envelope holds no SOAP Body");
                }

                if (reader.LocalName == "Body" && reader.NamespaceURI == SoapNamespaces.Envelope)
                {
                    break;
                }

                reader.Skip();
            }

            if (reader.IsEmptyElement)
            {
                throw PlatformException.BadResponse(operation.Key, "the SOAP Body is empty");
            }

            reader.Read();
            return ReadBody(reader, operation, scrubber);
        }
        catch (XmlException ex)
        {
            throw NotXml(operation, ex);
        }
    }

    /// <summary>Reads the body's children, the reader standing on the first one (or the Body's end tag).</summary>
    public static RpcResult ReadBody(XmlReader reader, PlatformOperation operation, SecretScrubber? scrubber = null)
    {
        try
        {
            return ReadBodyCore(reader, operation, scrubber);
        }
        catch (XmlException ex)
        {
            throw NotXml(operation, ex);
        }
    }

    private static RpcResult ReadBodyCore(XmlReader reader, PlatformOperation operation, SecretScrubber? scrubber)
    {
        var key = operation.Key;
        var expected = operation.Name + "Response";
        Dictionary<string, SoapNode>? refs = null;
        SoapNode? wrapper = null;
        reader.MoveToContent();
        while (reader.NodeType != XmlNodeType.EndElement)
        {
            if (reader.EOF)
            {
                throw PlatformException.BadResponse(key, "the body ends before its closing tag (truncated)");
            }

            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
                continue;
            }

            if (reader.LocalName == "Fault" && reader.NamespaceURI == SoapNamespaces.Envelope)
            {
                throw ReadFault(reader, operation, scrubber);
            }

            var isWrapper = wrapper is null && reader.LocalName == expected;
            if (isWrapper && reader.NamespaceURI != operation.Service.Namespace)
            {
                throw PlatformException.BadResponse(key, $"<{expected}> is in namespace '{reader.NamespaceURI}', expected '{operation.Service.Namespace}'");
            }

            var node = ReadNode(reader, 0);
            if (node.Id is not null)
            {
                refs ??= new Dictionary<string, SoapNode>(StringComparer.Ordinal);
                refs[node.Id] = node;
            }
            else if (isWrapper)
            {
                wrapper = node;
            }
            else if (wrapper is null)
            {
                throw PlatformException.BadResponse(key, $"expected <{expected}> in namespace '{operation.Service.Namespace}', found <{node.Name}>");
            }
        }

        if (wrapper is null)
        {
            throw PlatformException.BadResponse(key, $"the body holds no <{expected}> element");
        }

        // Axis names the return part <opReturn>; take the first child whatever its name, as Axis clients do.
        var returnPart = wrapper.Children is { Count: > 0 } children ? children[0] : null;
        if (returnPart is null && operation.ReturnType is not null)
        {
            throw PlatformException.BadResponse(key, $"<{expected}> holds no <{operation.Name}Return>");
        }

        return new RpcResult(key, returnPart, refs);
    }

    private static SoapNode ReadNode(XmlReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new XmlException($"elements nested deeper than {MaxDepth}");
        }

        var node = new SoapNode { Name = reader.LocalName };
        if (reader.MoveToFirstAttribute())
        {
            do
            {
                var ns = reader.NamespaceURI;
                if (ns.Length == 0)
                {
                    if (reader.LocalName == "id")
                    {
                        node.Id = reader.Value;
                    }
                    else if (reader.LocalName == "href")
                    {
                        node.Href = reader.Value;
                    }
                }
                else if (ns == SoapNamespaces.Xsi && reader.LocalName == "nil")
                {
                    var nil = reader.Value.Trim();
                    node.IsNil = nil is "true" or "1";
                }
            }
            while (reader.MoveToNextAttribute());

            reader.MoveToElement();
        }

        if (reader.IsEmptyElement)
        {
            reader.Read();
            return node;
        }

        reader.Read();
        string? text = null;
        System.Text.StringBuilder? more = null;
        while (true)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    (node.Children ??= []).Add(ReadNode(reader, depth + 1));
                    continue;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    if (text is null)
                    {
                        text = reader.Value;
                    }
                    else
                    {
                        (more ??= new System.Text.StringBuilder(text)).Append(reader.Value);
                    }

                    break;
                case XmlNodeType.EndElement:
                    reader.Read();
                    node.Text = more?.ToString() ?? text;
                    return node;
                case XmlNodeType.None:
                    throw new XmlException($"the document ends inside <{node.Name}> (truncated)");
            }

            if (!reader.Read())
            {
                throw new XmlException($"the document ends inside <{node.Name}> (truncated)");
            }
        }
    }

    private static PlatformFaultException ReadFault(XmlReader reader, PlatformOperation operation, SecretScrubber? scrubber)
    {
        string? code = null;
        string? text = null;
        if (!reader.IsEmptyElement)
        {
            var depth = reader.Depth;
            reader.Read();
            while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth) && !reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Depth == depth + 1)
                {
                    switch (reader.LocalName)
                    {
                        case "faultcode":
                            code = reader.ReadElementContentAsString().Trim();
                            continue;
                        case "faultstring":
                            text = reader.ReadElementContentAsString();
                            continue;
                        default:
                            reader.Skip();
                            continue;
                    }
                }

                reader.Read();
            }
        }

        return PlatformFaultException.FromFault(operation.Key, code, text, scrubber);
    }

    private static PlatformException NotXml(PlatformOperation operation, XmlException ex) =>
        PlatformException.BadResponse(operation.Key, $"the XML is broken or truncated ({ex.Message})", ex);
}
