using System.Xml;

namespace CampaignEtl.Sandbox.Soap;

/// <summary>
/// Reads an rpc/encoded SOAP 1.1 request in one forward pass (XmlReader, no DOM): the operation element
/// (first child of Body, namespace <c>urn:api.broadmail.de/soap11/Rpc&lt;Name&gt;</c>), its parts by position
/// (<c>in0..inN</c> sorted by index; other names in document order), inline scalars, <c>xsi:nil</c>,
/// SOAP-encoded arrays (any item element names) and <c>href="#id"</c> resolved to the Body's <c>multiRef</c>s.
/// </summary>
internal static class RpcRequestReader
{
    public const string SoapEnvelopeNs = "http://schemas.xmlsoap.org/soap/envelope/";
    public const string XsiNs = "http://www.w3.org/2001/XMLSchema-instance";
    public const string SoapEncNs = "http://schemas.xmlsoap.org/soap/encoding/";
    public const string ServiceNsPrefix = "urn:api.broadmail.de/soap11/";

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false,
        CloseInput = false,
    };

    public static RpcCall Read(Stream body, string service)
    {
        try
        {
            using var reader = XmlReader.Create(body, Settings);
            return ReadCore(reader, service);
        }
        catch (XmlException ex)
        {
            throw SandboxFault.BadRequest("The request is not well-formed XML: " + ex.Message);
        }
    }

    private static RpcCall ReadCore(XmlReader reader, string service)
    {
        reader.MoveToContent();
        if (reader.LocalName != "Envelope" || reader.NamespaceURI != SoapEnvelopeNs)
        {
            throw SandboxFault.BadRequest("The request is not a SOAP 1.1 envelope");
        }

        if (!ReadToChild(reader, "Body", SoapEnvelopeNs))
        {
            throw SandboxFault.BadRequest("The envelope has no Body");
        }

        if (!ReadToFirstChildElement(reader))
        {
            throw SandboxFault.BadRequest("The Body is empty");
        }

        var expectedNs = ServiceNsPrefix + service;
        if (reader.NamespaceURI != expectedNs)
        {
            throw SandboxFault.NoSuchOperation(reader.LocalName);
        }

        var operation = reader.LocalName;
        var named = new List<(string Name, RpcValue Value)>();
        if (!reader.IsEmptyElement)
        {
            var depth = reader.Depth;
            reader.Read();
            while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
            {
                if (reader.NodeType == XmlNodeType.Element)
                {
                    var name = reader.LocalName;
                    named.Add((name, ReadValue(reader)));
                }
                else
                {
                    reader.Read();
                }
            }
        }

        reader.Read();
        Dictionary<string, RpcValue>? multiRefs = null;
        while (reader.NodeType != XmlNodeType.None)
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                var id = reader.GetAttribute("id");
                if (id is null)
                {
                    reader.Skip();
                    continue;
                }

                multiRefs ??= new Dictionary<string, RpcValue>(StringComparer.Ordinal);
                multiRefs[id] = ReadValue(reader);
            }
            else if (reader.NodeType == XmlNodeType.EndElement)
            {
                reader.Read();
                if (reader.NodeType == XmlNodeType.None)
                {
                    break;
                }
            }
            else
            {
                reader.Read();
            }
        }

        var parts = Order(named);
        if (multiRefs is not null)
        {
            for (var i = 0; i < parts.Count; i++)
            {
                parts[i] = Resolve(parts[i], multiRefs, 0);
            }
        }
        else if (parts.Exists(p => ContainsHref(p)))
        {
            throw SandboxFault.BadRequest("An href points at no multiRef");
        }

        return new RpcCall(service, operation, parts);
    }

    private static List<RpcValue> Order(List<(string Name, RpcValue Value)> named)
    {
        var positional = named.TrueForAll(p => p.Name.Length > 2 && p.Name.StartsWith("in", StringComparison.Ordinal) && p.Name.AsSpan(2).IndexOfAnyExceptInRange('0', '9') < 0);
        if (!positional)
        {
            return named.ConvertAll(p => p.Value);
        }

        var ordered = new List<RpcValue>(named.Count);
        foreach (var (name, value) in named.OrderBy(p => int.Parse(p.Name.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture)))
        {
            _ = name;
            ordered.Add(value);
        }

        return ordered;
    }

    /// <summary>Reads the element the reader is on (and moves past it).</summary>
    private static RpcValue ReadValue(XmlReader reader)
    {
        string? href = null, nil = null, type = null;
        var hasArrayType = false;
        if (reader.MoveToFirstAttribute())
        {
            do
            {
                var ns = reader.NamespaceURI;
                var local = reader.LocalName;
                if (ns.Length == 0)
                {
                    if (local == "href")
                    {
                        href = reader.Value;
                    }
                }
                else if (ns == XsiNs)
                {
                    if (local == "nil")
                    {
                        nil = reader.Value;
                    }
                    else if (local == "type")
                    {
                        type = reader.Value;
                    }
                }
                else if (ns == SoapEncNs && local == "arrayType")
                {
                    hasArrayType = true;
                }
            }
            while (reader.MoveToNextAttribute());
            reader.MoveToElement();
        }

        if (href is not null)
        {
            reader.Skip();
            return RpcValue.Reference(href.StartsWith('#') ? href[1..] : href);
        }

        var isArray = hasArrayType || (type is not null && type.EndsWith(":Array", StringComparison.Ordinal));
        if (nil is "true" or "1")
        {
            reader.Skip();
            return RpcValue.Nil;
        }

        if (reader.IsEmptyElement)
        {
            reader.Read();
            return isArray ? RpcValue.Array([]) : RpcValue.Scalar(string.Empty);
        }

        var depth = reader.Depth;
        reader.Read();
        List<RpcValue>? items = isArray ? [] : null;
        string? text = null;
        while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    items ??= [];
                    items.Add(ReadValue(reader));
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    text = text is null ? reader.Value : text + reader.Value;
                    reader.Read();
                    break;
                default:
                    reader.Read();
                    break;
            }
        }

        reader.Read();
        return items is not null ? RpcValue.Array(items) : RpcValue.Scalar(text ?? string.Empty);
    }

    private static RpcValue Resolve(RpcValue value, Dictionary<string, RpcValue> multiRefs, int depth)
    {
        if (depth > 16)
        {
            throw SandboxFault.BadRequest("multiRef references nest too deep");
        }

        if (value.Href is { } id)
        {
            return multiRefs.TryGetValue(id, out var target)
                ? Resolve(target, multiRefs, depth + 1)
                : throw SandboxFault.BadRequest("An href points at no multiRef: #" + id);
        }

        if (value.Items is { } items)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i].Href is not null || items[i].IsArray)
                {
                    items[i] = Resolve(items[i], multiRefs, depth + 1);
                }
            }
        }

        return value;
    }

    private static bool ContainsHref(RpcValue value) =>
        value.Href is not null || (value.Items is { } items && items.Exists(ContainsHref));

    private static bool ReadToChild(XmlReader reader, string localName, string ns)
    {
        if (!ReadToFirstChildElement(reader))
        {
            return false;
        }

        while (true)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == localName && reader.NamespaceURI == ns)
            {
                return true;
            }

            if (reader.NodeType == XmlNodeType.Element)
            {
                reader.Skip();
            }
            else if (reader.NodeType == XmlNodeType.EndElement || !reader.Read())
            {
                return false;
            }
        }
    }

    private static bool ReadToFirstChildElement(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            return false;
        }

        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                return true;
            }

            if (reader.NodeType == XmlNodeType.EndElement)
            {
                return false;
            }
        }

        return false;
    }
}
