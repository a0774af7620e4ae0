using System.Globalization;
using System.Net;
using System.Security;
using System.Text;
using System.Xml.Linq;

namespace CampaignEtl.IntegrationTests.Sandbox;

/// <summary>Hand-written rpc/encoded request parts, independent of the product's client codec.</summary>
internal static class Part
{
    public static string Str(string? value) => value is null
        ? "xsi:type=\"xsd:string\" xsi:nil=\"true\"/>"
        : "xsi:type=\"xsd:string\">" + SecurityElement.Escape(value) + "</";

    public static string Long(long value) => "xsi:type=\"xsd:long\">" + value.ToString(CultureInfo.InvariantCulture) + "</";

    public static string Int(int value) => "xsi:type=\"xsd:int\">" + value.ToString(CultureInfo.InvariantCulture) + "</";

    public static string Bool(bool value) => "xsi:type=\"xsd:boolean\">" + (value ? "true" : "false") + "</";

    public static string Strings(IReadOnlyCollection<string?> values) =>
        "xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[" + values.Count.ToString(CultureInfo.InvariantCulture) + "]\">" +
        string.Concat(values.Select(v => v is null ? "<item xsi:nil=\"true\"/>" : "<item xsi:type=\"xsd:string\">" + SecurityElement.Escape(v) + "</item>")) + "</";

    public static string Table(IReadOnlyCollection<IReadOnlyCollection<string?>> rows) =>
        "xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[][" + rows.Count.ToString(CultureInfo.InvariantCulture) + "]\">" +
        string.Concat(rows.Select(r => "<item xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[" + r.Count.ToString(CultureInfo.InvariantCulture) + "]\">" +
            string.Concat(r.Select(v => "<item xsi:type=\"xsd:string\">" + SecurityElement.Escape(v ?? string.Empty) + "</item>")) + "</item>")) + "</";
}

/// <summary>The answer of one call: status, raw text, and (when XML) the decoded return value or fault.</summary>
internal sealed class SoapAnswer
{
    private static readonly XNamespace Env = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    public SoapAnswer(HttpStatusCode status, string text, string? contentType)
    {
        Status = status;
        Text = text;
        ContentType = contentType;
        if (contentType?.StartsWith("text/xml", StringComparison.Ordinal) == true)
        {
            Document = XDocument.Parse(text);
        }
    }

    public HttpStatusCode Status { get; }

    public string Text { get; }

    public string? ContentType { get; }

    public XDocument? Document { get; }

    public XElement Body => Document!.Root!.Element(Env + "Body")!;

    public string? FaultCode => Document?.Root?.Element(Env + "Body")?.Element(Env + "Fault")?.Element("faultcode")?.Value;

    public string? FaultString => Document?.Root?.Element(Env + "Body")?.Element(Env + "Fault")?.Element("faultstring")?.Value;

    public bool IsFault => FaultString is not null;

    /// <summary>The &lt;opReturn&gt; element, href resolved.</summary>
    public XElement Return
    {
        get
        {
            if (IsFault)
            {
                throw new InvalidOperationException("Fault: " + FaultString);
            }

            return Resolve(Body.Elements().First().Elements().Single());
        }
    }

    public string? Scalar => IsNil(Return) ? null : Return.Value;

    public int Int => int.Parse(Return.Value, CultureInfo.InvariantCulture);

    public long Long => long.Parse(Return.Value, CultureInfo.InvariantCulture);

    public bool Bool => bool.Parse(Return.Value);

    public List<string?> Strings => Items(Return).Select(i => IsNil(i) ? null : i.Value).ToList();

    public List<int> Ints => Items(Return).Select(i => int.Parse(i.Value, CultureInfo.InvariantCulture)).ToList();

    public List<bool> Bools => Items(Return).Select(i => bool.Parse(i.Value)).ToList();

    public List<List<string?>> Table => Items(Return).Select(row => Items(row).Select(i => IsNil(i) ? null : i.Value).ToList()).ToList();

    private IEnumerable<XElement> Items(XElement array) => array.Elements().Select(Resolve);

    private Dictionary<string, XElement>? _multiRefs;

    private XElement Resolve(XElement element)
    {
        var href = element.Attribute("href")?.Value;
        if (href is null)
        {
            return element;
        }

        _multiRefs ??= Body.Elements("multiRef").ToDictionary(m => "#" + m.Attribute("id")!.Value);
        return _multiRefs[href];
    }

    private static bool IsNil(XElement element) => element.Attribute(Xsi + "nil")?.Value == "true";
}

/// <summary>A plain HttpClient posting hand-written envelopes to the sandbox.</summary>
internal sealed class SoapTestClient(Uri endpoint) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static string Envelope(string service, string operation, params string[] parts)
    {
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" ")
            .Append("xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ")
            .Append("xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\"><soapenv:Body>")
            .Append("<impl:").Append(operation).Append(" xmlns:impl=\"urn:api.broadmail.de/soap11/").Append(service)
            .Append("\" soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">");
        for (var i = 0; i < parts.Length; i++)
        {
            var name = "in" + i.ToString(CultureInfo.InvariantCulture);
            sb.Append('<').Append(name).Append(' ').Append(parts[i]);
            if (!parts[i].EndsWith("/>", StringComparison.Ordinal))
            {
                sb.Append(name).Append('>');
            }
        }

        sb.Append("</impl:").Append(operation).Append("></soapenv:Body></soapenv:Envelope>");
        return sb.ToString();
    }

    public async Task<SoapAnswer> PostRawAsync(string service, string envelope)
    {
        using var content = new StringContent(envelope, Encoding.UTF8, "text/xml");
        content.Headers.ContentType!.CharSet = "UTF-8";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, service)) { Content = content };
        request.Headers.Add("SOAPAction", "\"\"");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new SoapAnswer(response.StatusCode, text, response.Content.Headers.ContentType?.MediaType is { } m ? m + ";" + response.Content.Headers.ContentType.CharSet : null);
    }

    public Task<SoapAnswer> CallAsync(string service, string operation, params string[] parts) =>
        PostRawAsync(service, Envelope(service, operation, parts));

    public async Task<string> LoginAsync(long mandator = 1000, string user = "api-user", string password = "sandbox-password")
    {
        var answer = await CallAsync("RpcSession", "login", Part.Long(mandator), Part.Str(user), Part.Str(password));
        return answer.Scalar!;
    }

    public Task<SoapAnswer> AddAll3FlatAsync(string session, long listId, IReadOnlyList<(string Id, string Email)> recipients, IReadOnlyList<string> names, Func<int, int, string?> value) =>
        CallAsync(
            "RpcRecipient", "addAll3Flat",
            Part.Str(session), Part.Long(listId), Part.Long(0),
            Part.Strings(recipients.Select(r => (string?)r.Id).ToList()),
            Part.Strings(recipients.Select(r => (string?)r.Email).ToList()),
            Part.Strings(names.Cast<string?>().ToList()),
            Part.Strings(Enumerable.Range(0, recipients.Count).SelectMany(i => Enumerable.Range(0, names.Count).Select(j => value(i, j))).ToList()));

    public async Task<int> GetCountAsync(string session, long listId) =>
        (await CallAsync("RpcRecipient", "getCount", Part.Str(session), Part.Long(listId), Part.Long(0))).Int;

    public void Dispose() => _http.Dispose();
}
