using System.Globalization;
using System.Text;

namespace CampaignEtl.Sandbox.Soap;

/// <summary>
/// Writes responses and faults the way Apache Axis 1.4 does for rpc/encoded services:
/// <c>&lt;ns1:opResponse soapenv:encodingStyle=... xmlns:ns1="urn:..."&gt;&lt;opReturn .../&gt;</c>; strings inline
/// (<c>xsi:type="xsd:string"</c>); int, long and boolean as <c>href="#idN"</c> to a <c>multiRef</c> sibling of the
/// response element; string[] inline (<c>soapenc:arrayType="soapenc:string[n]"</c>, items <c>item</c>); int[] and
/// boolean[] inline with each item an href; string[][] inline whose rows are hrefs to multiRef arrays.
/// The multiRefs are written pairwise swapped (id1, id0, id3, id2, ...) so that clients meet them out of order.
/// </summary>
internal static class AxisResponseWriter
{
    private const string EnvelopeStart =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" " +
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>";

    private const string EnvelopeEnd = "</soapenv:Body></soapenv:Envelope>";
    private const string EncodingStyle = "soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"";
    private const string SoapEncNs = "xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\"";

    public static byte[] WriteResponse(string service, string operation, RpcResult result)
    {
        var sb = new StringBuilder(256);
        var multiRefs = new List<string>();
        sb.Append(EnvelopeStart)
            .Append("<ns1:").Append(operation).Append("Response ").Append(EncodingStyle)
            .Append(" xmlns:ns1=\"").Append(RpcRequestReader.ServiceNsPrefix).Append(service).Append("\">");
        var name = operation + "Return";
        switch (result)
        {
            case VoidResult:
                break;
            case StringResult s:
                AppendString(sb, name, "xsd:string", s.Value);
                break;
            case IntResult i:
                AppendHref(sb, name, multiRefs, ScalarMultiRef("xsd:int", Invariant(i.Value)));
                break;
            case LongResult l:
                AppendHref(sb, name, multiRefs, ScalarMultiRef("xsd:long", Invariant(l.Value)));
                break;
            case BoolResult b:
                AppendHref(sb, name, multiRefs, ScalarMultiRef("xsd:boolean", b.Value ? "true" : "false"));
                break;
            case StringArrayResult a:
                ArrayStart(sb, name, "soapenc:string[" + Invariant(a.Values.Count) + "]");
                foreach (var value in a.Values)
                {
                    AppendString(sb, "item", "soapenc:string", value);
                }

                sb.Append("</").Append(name).Append('>');
                break;
            case IntArrayResult a:
                ArrayStart(sb, name, "xsd:int[" + Invariant(a.Values.Count) + "]");
                foreach (var value in a.Values)
                {
                    AppendHref(sb, "item", multiRefs, ScalarMultiRef("xsd:int", Invariant(value)));
                }

                sb.Append("</").Append(name).Append('>');
                break;
            case BoolArrayResult a:
                ArrayStart(sb, name, "xsd:boolean[" + Invariant(a.Values.Count) + "]");
                foreach (var value in a.Values)
                {
                    AppendHref(sb, "item", multiRefs, ScalarMultiRef("xsd:boolean", value ? "true" : "false"));
                }

                sb.Append("</").Append(name).Append('>');
                break;
            case StringTableResult t:
                ArrayStart(sb, name, "soapenc:string[][" + Invariant(t.Rows.Count) + "]");
                foreach (var row in t.Rows)
                {
                    AppendHref(sb, "item", multiRefs, RowMultiRef(row));
                }

                sb.Append("</").Append(name).Append('>');
                break;
            default:
                throw new InvalidOperationException("Unknown result type " + result.GetType().Name);
        }

        sb.Append("</ns1:").Append(operation).Append("Response>");
        foreach (var index in OutOfOrder(multiRefs.Count))
        {
            sb.Append("<multiRef id=\"id").Append(Invariant(index)).Append("\" soapenc:root=\"0\" ").Append(EncodingStyle)
                .Append(' ').Append(multiRefs[index]);
        }

        sb.Append(EnvelopeEnd);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The fault as Axis writes it (HTTP 500): faultcode, faultstring, detail with a short stack trace and the host name.</summary>
    public static byte[] WriteFault(SandboxFault fault)
    {
        var sb = new StringBuilder(512);
        sb.Append(EnvelopeStart)
            .Append("<soapenv:Fault><faultcode>").Append(fault.FaultCode).Append("</faultcode><faultstring>");
        Escape(sb, fault.FaultString);
        sb.Append("</faultstring><detail><ns1:stackTrace xmlns:ns1=\"http://xml.apache.org/axis/\">");
        Escape(sb, fault.FaultString);
        sb.Append("\n\tat org.apache.axis.providers.java.RPCProvider.invokeMethod(RPCProvider.java:397)\n</ns1:stackTrace>")
            .Append("<ns2:hostname xmlns:ns2=\"http://xml.apache.org/axis/\">campaignetl-sandbox</ns2:hostname></detail></soapenv:Fault>")
            .Append(EnvelopeEnd);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The order the multiRefs are written in: pairs swapped, 1 0 3 2 5 4 ... (an odd last one stays last).</summary>
    internal static IEnumerable<int> OutOfOrder(int count)
    {
        for (var i = 0; i + 1 < count; i += 2)
        {
            yield return i + 1;
            yield return i;
        }

        if (count % 2 == 1)
        {
            yield return count - 1;
        }
    }

    private static void ArrayStart(StringBuilder sb, string name, string arrayType) =>
        sb.Append('<').Append(name).Append(" soapenc:arrayType=\"").Append(arrayType).Append("\" xsi:type=\"soapenc:Array\" ").Append(SoapEncNs).Append('>');

    private static void AppendHref(StringBuilder sb, string name, List<string> multiRefs, string multiRefTail)
    {
        sb.Append('<').Append(name).Append(" href=\"#id").Append(Invariant(multiRefs.Count)).Append("\"/>");
        multiRefs.Add(multiRefTail);
    }

    private static string ScalarMultiRef(string type, string value) =>
        "xsi:type=\"" + type + "\" " + SoapEncNs + ">" + value + "</multiRef>";

    private static string RowMultiRef(IReadOnlyList<string?> row)
    {
        var sb = new StringBuilder(64);
        sb.Append("soapenc:arrayType=\"soapenc:string[").Append(Invariant(row.Count)).Append("]\" xsi:type=\"soapenc:Array\" ").Append(SoapEncNs).Append('>');
        foreach (var value in row)
        {
            AppendString(sb, "item", "soapenc:string", value);
        }

        return sb.Append("</multiRef>").ToString();
    }

    private static void AppendString(StringBuilder sb, string name, string type, string? value)
    {
        sb.Append('<').Append(name).Append(" xsi:type=\"").Append(type).Append('"');
        if (value is null)
        {
            sb.Append(" xsi:nil=\"true\"/>");
            return;
        }

        sb.Append('>');
        Escape(sb, value);
        sb.Append("</").Append(name).Append('>');
    }

    private static void Escape(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\r': sb.Append("&#xd;"); break;
                default:
                    if (c < 0x20 && c != '\n' && c != '\t')
                    {
                        continue; // not representable in XML 1.0; Axis drops such characters as well
                    }

                    sb.Append(c);
                    break;
            }
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
