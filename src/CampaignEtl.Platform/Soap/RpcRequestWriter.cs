using System.Buffers;
using System.Text;
using System.Xml;

namespace CampaignEtl.Platform.Soap;

/// <summary>
/// Writes rpc/encoded request bodies the way Axis 1.4 expects them: one element per operation in the
/// service namespace, parts <c>in0..inN</c> in WSDL order, each with <c>xsi:type</c>, arrays as
/// SOAP-encoded <c>soapenc:Array</c> with <c>soapenc:arrayType</c>.
/// </summary>
internal static class RpcRequestWriter
{
    private static readonly XmlWriterSettings EnvelopeSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        CloseOutput = false,
    };

    // Characters that need escaping or checking in element text: markup, CR (kept by escaping), controls,
    // surrogates (valid only in pairs) and the non-characters U+FFFE/U+FFFF.
    internal static readonly SearchValues<char> NeedsCare = SearchValues.Create(CareCharacters());

    /// <summary>A whole envelope, as the transport sends it: <see cref="Utf8EnvelopeWriter"/>'s bytes.</summary>
    public static void WriteEnvelope(Stream output, PlatformOperation operation, ReadOnlySpan<SoapArg> args)
    {
        using var envelope = Utf8EnvelopeWriter.Write(operation, args);
        output.Write(envelope.Written);
    }

    /// <summary>
    /// The same envelope through an <see cref="XmlWriter"/>: the reference the fast writer is held to byte for byte
    /// (tests), and the way to write a body into someone else's envelope (<see cref="WriteBody"/>).
    /// </summary>
    public static void WriteEnvelopeWithXmlWriter(Stream output, PlatformOperation operation, ReadOnlySpan<SoapArg> args)
    {
        using var writer = XmlWriter.Create(output, EnvelopeSettings);
        writer.WriteStartDocument();
        writer.WriteStartElement("soapenv", "Envelope", SoapNamespaces.Envelope);
        writer.WriteAttributeString("xmlns", "xsd", null, SoapNamespaces.Xsd);
        writer.WriteAttributeString("xmlns", "xsi", null, SoapNamespaces.Xsi);
        writer.WriteStartElement("soapenv", "Body", SoapNamespaces.Envelope);
        WriteBody(writer, operation, args);
        writer.WriteEndElement();
        writer.WriteEndElement();
        writer.WriteEndDocument();
    }

    public static void WriteBody(XmlWriter writer, PlatformOperation operation, ReadOnlySpan<SoapArg> args)
    {
        var parts = operation.Parts;
        if (args.Length != parts.Count)
        {
            throw new InvalidOperationException($"{operation.Key} takes {parts.Count} parts, {args.Length} were given");
        }

        writer.WriteStartElement("ns1", operation.Name, operation.Service.Namespace);
        // No prefix: the writer reuses whatever prefix the envelope namespace already has (WCF uses "s").
        writer.WriteAttributeString("encodingStyle", SoapNamespaces.Envelope, SoapNamespaces.Encoding);
        // xsi:type values are QNames, so their prefixes must be in scope on this element whoever wrote the envelope.
        writer.WriteAttributeString("xmlns", "xsd", null, SoapNamespaces.Xsd);
        writer.WriteAttributeString("xmlns", "xsi", null, SoapNamespaces.Xsi);
        writer.WriteAttributeString("xmlns", "soapenc", null, SoapNamespaces.Encoding);
        for (var i = 0; i < args.Length; i++)
        {
            var part = parts[i];
            var arg = args[i];
            if (arg.Kind != SoapArgKind.Nil && SoapArg.WsdlType(arg.Kind) != part.Type)
            {
                throw new InvalidOperationException($"{operation.Key} part {part.Name} is {part.Type}, a {arg.Kind} was given");
            }

            WritePart(writer, part.Name, part.Type, arg);
        }

        writer.WriteEndElement();
    }

    private static void WritePart(XmlWriter writer, string name, string type, SoapArg arg)
    {
        writer.WriteStartElement(name);
        switch (arg.Kind)
        {
            case SoapArgKind.Nil:
                writer.WriteAttributeString("type", SoapNamespaces.Xsi, XsiTypeOf(type));
                writer.WriteAttributeString("nil", SoapNamespaces.Xsi, "true");
                break;
            case SoapArgKind.String:
                WriteType(writer, "xsd:string");
                WriteText(writer, (string)arg.Reference!);
                break;
            case SoapArgKind.Long:
                WriteType(writer, "xsd:long");
                writer.WriteValue(arg.Number);
                break;
            case SoapArgKind.Int:
                WriteType(writer, "xsd:int");
                writer.WriteValue((int)arg.Number);
                break;
            case SoapArgKind.Boolean:
                WriteType(writer, "xsd:boolean");
                writer.WriteString(arg.Number != 0 ? "true" : "false");
                break;
            case SoapArgKind.StringArray:
                WriteStringArrayContent(writer, (IReadOnlyList<string?>)arg.Reference!);
                break;
            case SoapArgKind.StringArrayArray:
                var rows = (IReadOnlyList<IReadOnlyList<string?>>)arg.Reference!;
                WriteType(writer, "soapenc:Array");
                writer.WriteAttributeString("arrayType", SoapNamespaces.Encoding, "xsd:string[][" + Count(rows.Count) + "]");
                for (var i = 0; i < rows.Count; i++)
                {
                    writer.WriteStartElement("item");
                    if (rows[i] is { } row)
                    {
                        WriteStringArrayContent(writer, row);
                    }
                    else
                    {
                        writer.WriteAttributeString("nil", SoapNamespaces.Xsi, "true");
                    }

                    writer.WriteEndElement();
                }

                break;
            default:
                throw new InvalidOperationException($"Unknown part kind {arg.Kind}");
        }

        writer.WriteEndElement();
    }

    // Items carry no xsi:type of their own: soapenc:arrayType names the item type (SOAP 1.1 §5.4.2)
    // and Axis reads it from there; leaving it out keeps a 10 000-value batch about 200 KB smaller.
    // The items go out as raw markup in pooled chunks: the writers' per-element and per-character work
    // was most of the CPU of a 1000 x 10 batch. Prefix xsi is declared on the operation element.
    private static void WriteStringArrayContent(XmlWriter writer, IReadOnlyList<string?> values)
    {
        WriteType(writer, "soapenc:Array");
        writer.WriteAttributeString("arrayType", SoapNamespaces.Encoding, "xsd:string[" + Count(values.Count) + "]");
        if (values.Count == 0)
        {
            return;
        }

        // Closes the start tag, so the raw chunks land in element content.
        writer.WriteString(string.Empty);
        var chunk = new RawChunk(writer);
        try
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i] is { } value)
                {
                    chunk.Append("<item>");
                    chunk.AppendEscaped(value);
                    chunk.Append("</item>");
                }
                else
                {
                    chunk.Append("<item xsi:nil=\"true\"/>");
                }
            }

            chunk.Flush();
        }
        finally
        {
            chunk.Return();
        }
    }

    private static void WriteText(XmlWriter writer, string value)
    {
        if (value.AsSpan().IndexOfAny(NeedsCare) < 0)
        {
            writer.WriteRaw(value);
        }
        else
        {
            writer.WriteString(value);
        }
    }

    /// <summary>Element text with <c>&lt; &gt; &amp;</c> and CR escaped; characters XML 1.0 cannot carry are refused.</summary>
    private struct RawChunk(XmlWriter writer)
    {
        private char[] buffer = ArrayPool<char>.Shared.Rent(16 * 1024);
        private int length;

        public void Append(string text)
        {
            if (length + text.Length > buffer.Length)
            {
                Flush();
                if (text.Length > buffer.Length)
                {
                    writer.WriteRaw(text);
                    return;
                }
            }

            text.CopyTo(0, buffer, length, text.Length);
            length += text.Length;
        }

        public void AppendEscaped(string value)
        {
            var rest = value.AsSpan();
            while (rest.Length > 0)
            {
                var care = rest.IndexOfAny(NeedsCare);
                var plain = care < 0 ? rest : rest[..care];
                AppendSpan(plain);
                if (care < 0)
                {
                    return;
                }

                var c = rest[care];
                rest = rest[(care + 1)..];
                switch (c)
                {
                    case '<':
                        Append("&lt;");
                        break;
                    case '>':
                        Append("&gt;");
                        break;
                    case '&':
                        Append("&amp;");
                        break;
                    case '\r':
                        Append("&#xD;");
                        break;
                    case '\n' or '\t':
                        AppendSpan([c]);
                        break;
                    case >= '\uD800' and <= '\uDBFF' when rest.Length > 0 && char.IsLowSurrogate(rest[0]):
                        AppendSpan([c, rest[0]]);
                        rest = rest[1..];
                        break;
                    default:
                        throw new ArgumentException($"A value holds the character U+{(int)c:X4}, which XML 1.0 cannot carry", nameof(value));
                }
            }
        }

        public void Flush()
        {
            if (length > 0)
            {
                writer.WriteRaw(buffer, 0, length);
                length = 0;
            }
        }

        public void Return()
        {
            ArrayPool<char>.Shared.Return(buffer);
            buffer = [];
        }

        private void AppendSpan(ReadOnlySpan<char> text)
        {
            while (text.Length > 0)
            {
                if (length == buffer.Length)
                {
                    Flush();
                }

                var n = Math.Min(text.Length, buffer.Length - length);
                text[..n].CopyTo(buffer.AsSpan(length));
                length += n;
                text = text[n..];
            }
        }
    }

    private static string CareCharacters()
    {
        var care = new StringBuilder();
        for (var c = '\0'; c < ' '; c++)
        {
            care.Append(c);
        }

        care.Append("<>&");
        for (var c = '\uD800'; c <= '\uDFFF'; c++)
        {
            care.Append(c);
        }

        return care.Append('\uFFFE').Append('\uFFFF').ToString();
    }

    private static void WriteType(XmlWriter writer, string qname) => writer.WriteAttributeString("type", SoapNamespaces.Xsi, qname);

    private static string XsiTypeOf(string wsdlType) => wsdlType.StartsWith("impl:", StringComparison.Ordinal) ? "soapenc:Array" : wsdlType;

    private static string Count(int count) => count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
