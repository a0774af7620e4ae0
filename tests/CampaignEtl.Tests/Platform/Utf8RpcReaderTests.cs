using System.Globalization;
using System.Text;
using System.Xml;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Tests.Platform;

/// <summary>
/// The fast answer reader is held to the XmlReader-based reference: whatever it accepts it must read to the same
/// nodes, and whatever is not a plain answer (faults, broken or odd XML) it must decline, so the reference judges it.
/// </summary>
public sealed class Utf8RpcReaderTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.GetDirectoryName(SoapFixtures.PathOf("clear_void.xml"))!, "*.xml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TryRead_EveryFixture_MatchesTheReferenceOrDeclines(string fixture)
    {
        var operation = OperationOf(fixture);
        var bytes = SoapFixtures.Bytes(fixture);

        var fast = Utf8RpcReader.TryRead(bytes, operation);

        var reference = Reference(bytes, operation);
        if (fast is null)
        {
            // Declined: only answers the reference refuses, or shapes outside the fast subset (none among the plain answers).
            reference.Error.ShouldNotBeNull($"{fixture} is a plain answer the fast reader should take");
        }
        else
        {
            reference.Error.ShouldBeNull();
            Dump(fast).ShouldBe(reference.Dump);
        }
    }

    [Theory]
    [InlineData("fault_invalid-sessionid.xml")]
    [InlineData("getCount_truncated.xml")]
    [InlineData("getCount_wrong-namespace.xml")]
    public void TryRead_FaultOrBrokenAnswer_Declines(string fixture)
    {
        Utf8RpcReader.TryRead(SoapFixtures.Bytes(fixture), OperationOf(fixture)).ShouldBeNull();
    }

    [Fact]
    public void TryRead_ThousandCodesByMultiRef_ReadsEveryCodeInItemOrder()
    {
        var codes = Enumerable.Range(0, 1000).Select(i => (i * 7) % 8).ToArray();
        var bytes = Encoding.UTF8.GetBytes(MultiRefAnswer(codes));

        var result = Utf8RpcReader.TryRead(bytes, Op.Recipient.AddAll3Flat);

        result.ShouldNotBeNull();
        result.ReadIntArray(result.Return).ShouldBe(codes);
        Dump(result).ShouldBe(Reference(bytes, Op.Recipient.AddAll3Flat).Dump);
    }

    [Theory]
    [InlineData("Anna &amp; Ben &lt;M&#252;ller&gt; &#x1F600; &quot;q&quot; &apos;a&apos;", "Anna & Ben <Müller> \U0001F600 \"q\" 'a'")]
    [InlineData("Zoë ]x", "Zoë ]x")]
    [InlineData("", null)]
    [InlineData("  ", "  ")]
    public void TryRead_TextWithReferences_DecodesAsTheReference(string escaped, string? expected)
    {
        var bytes = Encoding.UTF8.GetBytes(StringAnswer(escaped));

        var result = Utf8RpcReader.TryRead(bytes, Op.Session.Login);

        result.ShouldNotBeNull();
        result.Return.Text.ShouldBe(expected);
        Dump(result).ShouldBe(Reference(bytes, Op.Session.Login).Dump);
    }

    [Theory]
    [InlineData("<![CDATA[x]]>")]
    [InlineData("a<!-- note -->b")]
    [InlineData("a\r\nb")]
    [InlineData("&nbsp;")]
    [InlineData("a]]>b")]
    [InlineData("&#0;")]
    [InlineData("a\u0001b")]
    public void TryRead_TextOutsideTheFastSubset_Declines(string content)
    {
        Utf8RpcReader.TryRead(Encoding.UTF8.GetBytes(StringAnswer(content)), Op.Session.Login).ShouldBeNull();
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>")]
    [InlineData("<!DOCTYPE x [<!ENTITY e \"v\">]>")]
    [InlineData("<?pi x?>")]
    public void TryRead_PrologOutsideTheFastSubset_Declines(string prolog)
    {
        var xml = StringAnswer("sid").Replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", prolog, StringComparison.Ordinal);

        Utf8RpcReader.TryRead(Encoding.UTF8.GetBytes(xml), Op.Session.Login).ShouldBeNull();
    }

    [Theory]
    [InlineData("<?xml versy>")]
    [InlineData("<?xml version=\"1.0\" encog=\"UTF-8\"?>")]
    [InlineData("<?xml version=\"1.1\" encoding=\"UTF-8\"?>")]
    [InlineData("<?xml encoding=\"UTF-8\" version=\"1.0\"?>")]
    [InlineData("<?xml version=\"1.0\" x encoding=\"UTF-8\"?>")]
    [InlineData("<?xml version=\"1.0\" standalone=\"maybe\"?>")]
    public void TryRead_BrokenXmlDeclaration_DeclinesAsTheReferenceRefusesIt(string prolog)
    {
        var bytes = Encoding.UTF8.GetBytes(StringAnswer("sid").Replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", prolog, StringComparison.Ordinal));

        Utf8RpcReader.TryRead(bytes, Op.Session.Login).ShouldBeNull();
        Reference(bytes, Op.Session.Login).Error.ShouldNotBeNull();
    }

    [Theory]
    [InlineData("<?xml version='1.0'?>")]
    [InlineData("<?xml version = \"1.0\"\n encoding = 'utf-8' standalone=\"yes\" ?>")]
    [InlineData("")]
    public void TryRead_XmlDeclarationOfUtf8OrNone_IsRead(string prolog)
    {
        var bytes = Encoding.UTF8.GetBytes(StringAnswer("sid").Replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", prolog, StringComparison.Ordinal));

        var fast = Utf8RpcReader.TryRead(bytes, Op.Session.Login);

        fast.ShouldNotBeNull();
        Dump(fast).ShouldBe(Reference(bytes, Op.Session.Login).Dump);
    }

    [Theory]
    [InlineData("</ns1:loginResponse>", "</ns1:loginResponsX>")]
    [InlineData("xmlns:ns1=", "xmlns:nsX=")]
    [InlineData("<loginReturn xsi:type", "<loginReturn a=\"1\" a=\"2\" xsi:type")]
    [InlineData("</soapenv:Envelope>", "")]
    [InlineData("sid</loginReturn>", "\u00FFsid</loginReturn>")]
    public void TryRead_MalformedDocument_Declines(string find, string replace)
    {
        var xml = StringAnswer("sid").Replace(find, replace, StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(xml);
        if (replace.StartsWith('\u00FF'))
        {
            // A lone Latin-1 byte: not UTF-8.
            bytes = Encoding.Latin1.GetBytes(xml);
        }

        // The last case cuts the envelope's end tag only: the reference stops after the Body and accepts it too.
        var fast = Utf8RpcReader.TryRead(bytes, Op.Session.Login);
        if (find == "</soapenv:Envelope>")
        {
            fast.ShouldNotBeNull();
            return;
        }

        fast.ShouldBeNull();
        Reference(bytes, Op.Session.Login).Error.ShouldNotBeNull();
    }

    [Fact]
    public void TryRead_HeaderBeforeBodyAndPrefixesRedeclared_IsReadLikeTheReference()
    {
        const string Xml = """
            <e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><h:x xmlns:h="urn:h"><h:y/></h:x></e:Header>
            <e:Body><r:loginResponse xmlns:r="urn:api.broadmail.de/soap11/RpcSession"><loginReturn xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil=" 1 "/></r:loginResponse></e:Body></e:Envelope>
            """;
        var bytes = Encoding.UTF8.GetBytes(Xml);

        var result = Utf8RpcReader.TryRead(bytes, Op.Session.Login);

        result.ShouldNotBeNull();
        result.ReadString(result.Return).ShouldBeNull();
        Dump(result).ShouldBe(Reference(bytes, Op.Session.Login).Dump);
    }

    /// <summary>The operation a fixture answers, by the name before its first underscore.</summary>
    internal static PlatformOperation OperationOf(string fixture)
    {
        var name = fixture[..fixture.IndexOf('_', StringComparison.Ordinal)];
        return Op.Operations.FirstOrDefault(o => o.Name == name && o.Service != Op.BlacklistService) ?? Op.Recipient.GetCount;
    }

    private static (string? Dump, string? Error) Reference(byte[] bytes, PlatformOperation operation)
    {
        try
        {
            using var stream = new MemoryStream(bytes);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { IgnoreComments = true, IgnoreProcessingInstructions = true, DtdProcessing = DtdProcessing.Prohibit });
            return (Dump(RpcResponseReader.ReadEnvelope(reader, operation)), null);
        }
        catch (PlatformException ex)
        {
            return (null, ex.Message);
        }
    }

    private static string Dump(RpcResult result)
    {
        var text = new StringBuilder();
        if (result.ReturnPart is { } part)
        {
            Dump(result, part, text, 0);
        }

        return text.ToString();
    }

    // Every node with whatever its href points at, so multiRefs are compared too.
    private static void Dump(RpcResult result, SoapNode node, StringBuilder text, int depth)
    {
        text.Append(CultureInfo.InvariantCulture, $"<{node.Name} id={node.Id} href={node.Href} nil={node.IsNil} text={(node.Text is null ? "(null)" : "[" + node.Text + "]")}>");
        if (node.Href is not null && depth < 8)
        {
            Dump(result, result.Resolve(node), text, depth + 1);
        }

        foreach (var child in node.Children ?? [])
        {
            Dump(result, child, text, depth + 1);
        }

        text.Append("</>");
    }

    private static string StringAnswer(string content) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
         <soapenv:Body>
          <ns1:loginResponse soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns1="urn:api.broadmail.de/soap11/RpcSession">
           <loginReturn xsi:type="xsd:string">{content}</loginReturn>
          </ns1:loginResponse>
         </soapenv:Body>
        </soapenv:Envelope>
        """;

    private static string MultiRefAnswer(int[] codes) =>
        Utf8RpcReaderArraysTests.MultiRefCodes([.. codes.Select(c => c.ToString(CultureInfo.InvariantCulture))]);
}
