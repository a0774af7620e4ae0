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
        // CR as &#xD; in text (kept through XML line-end normalization), as the fast writer does.
        NewLineHandling = NewLineHandling.Entitize,
    };

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
                if (((string)arg.Reference!).Length > 0)
                {
                    // An empty string part is an empty element, <inN ... />, as the fast writer writes it.
                    writer.WriteString((string)arg.Reference!);
                }
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
    // Prefix xsi is declared on the operation element. This is the reference writer: item text goes
    // through the XmlWriter's own escaping, so the test that holds the fast writer to it compares two
    // independent escapers.
    private static void WriteStringArrayContent(XmlWriter writer, IReadOnlyList<string?> values)
    {
        WriteType(writer, "soapenc:Array");
        writer.WriteAttributeString("arrayType", SoapNamespaces.Encoding, "xsd:string[" + Count(values.Count) + "]");
        if (values.Count > 0)
        {
            // Closes the start tag, so a raw nil item lands in element content.
            writer.WriteString(string.Empty);
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } value)
            {
                writer.WriteStartElement("item");
                writer.WriteString(value);
                writer.WriteFullEndElement();
            }
            else
            {
                // The fast writer's compact form (XmlWriter would put a space before "/>").
                writer.WriteRaw("<item xsi:nil=\"true\"/>");
            }
        }
    }

    private static void WriteType(XmlWriter writer, string qname) => writer.WriteAttributeString("type", SoapNamespaces.Xsi, qname);

    private static string XsiTypeOf(string wsdlType) => wsdlType.StartsWith("impl:", StringComparison.Ordinal) ? "soapenc:Array" : wsdlType;

    private static string Count(int count) => count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
