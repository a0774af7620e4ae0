using System.Text;
using System.Xml.Linq;
using CampaignEtl.Sandbox.Soap;

namespace CampaignEtl.Tests.Sandbox;

public sealed class AxisResponseWriterTests
{
    private static readonly XNamespace Env = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private static readonly XNamespace Enc = "http://schemas.xmlsoap.org/soap/encoding/";

    private static (string Text, XElement Body) Write(string service, string operation, RpcResult result)
    {
        var text = Encoding.UTF8.GetString(AxisResponseWriter.WriteResponse(service, operation, result));
        return (text, XDocument.Parse(text).Root!.Element(Env + "Body")!);
    }

    [Fact]
    public void WriteResponse_Int_ReturnIsHrefToMultiRefSiblingOfResponse()
    {
        var (text, body) = Write("RpcRecipient", "getCount", RpcResult.Of(42));

        var response = body.Elements().First();
        response.Name.ShouldBe(XName.Get("getCountResponse", "urn:api.broadmail.de/soap11/RpcRecipient"));
        response.Attribute(Env + "encodingStyle")!.Value.ShouldBe("http://schemas.xmlsoap.org/soap/encoding/");
        response.Element("getCountReturn")!.Attribute("href")!.Value.ShouldBe("#id0");
        var multiRef = body.Element("multiRef")!;
        multiRef.Attribute("id")!.Value.ShouldBe("id0");
        multiRef.Attribute(Enc + "root")!.Value.ShouldBe("0");
        multiRef.Attribute(Xsi + "type")!.Value.ShouldBe("xsd:int");
        multiRef.Value.ShouldBe("42");
        text.ShouldStartWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope");
    }

    [Fact]
    public void WriteResponse_String_IsInlineWithXsdStringAndNilForNull()
    {
        var (_, body) = Write("RpcSession", "login", RpcResult.Of("abc<&>"));
        var (_, nilBody) = Write("RpcSession", "login", RpcResult.Of((string?)null));

        var value = body.Elements().First().Element("loginReturn")!;
        value.Value.ShouldBe("abc<&>");
        value.Attribute(Xsi + "type")!.Value.ShouldBe("xsd:string");
        body.Elements("multiRef").ShouldBeEmpty();
        nilBody.Elements().First().Element("loginReturn")!.Attribute(Xsi + "nil")!.Value.ShouldBe("true");
    }

    [Fact]
    public void WriteResponse_IntArray_ItemsAreHrefsAndMultiRefsComePairwiseSwapped()
    {
        var (_, body) = Write("RpcRecipient", "addAll3Flat", RpcResult.Of((IReadOnlyList<int>)[0, 1, 2, 3, 5]));

        var array = body.Elements().First().Element("addAll3FlatReturn")!;
        array.Attribute(Enc + "arrayType")!.Value.ShouldBe("xsd:int[5]");
        array.Attribute(Xsi + "type")!.Value.ShouldBe("soapenc:Array");
        array.Elements().Select(e => e.Attribute("href")!.Value).ShouldBe(["#id0", "#id1", "#id2", "#id3", "#id4"]);
        body.Elements("multiRef").Select(m => m.Attribute("id")!.Value).ShouldBe(["id1", "id0", "id3", "id2", "id4"]);
        var byId = body.Elements("multiRef").ToDictionary(m => "#" + m.Attribute("id")!.Value, m => m.Value);
        array.Elements().Select(e => byId[e.Attribute("href")!.Value]).ShouldBe(["0", "1", "2", "3", "5"]);
    }

    [Fact]
    public void WriteResponse_StringArray_IsInlineSoapencStringItems()
    {
        var (_, body) = Write("RpcRecipient", "getAllAdvancedFlat", RpcResult.Of((IReadOnlyList<string?>)["a", null, ""]));

        var array = body.Elements().First().Element("getAllAdvancedFlatReturn")!;
        array.Attribute(Enc + "arrayType")!.Value.ShouldBe("soapenc:string[3]");
        array.Elements().Select(e => e.Attribute(Xsi + "type")!.Value).ShouldAllBe(t => t == "soapenc:string");
        array.Elements().ElementAt(1).Attribute(Xsi + "nil")!.Value.ShouldBe("true");
        array.Elements().ElementAt(2).Value.ShouldBe(string.Empty);
        body.Elements("multiRef").ShouldBeEmpty();
    }

    [Fact]
    public void WriteResponse_StringTable_RowsAreMultiRefArrays()
    {
        var (_, body) = Write("RpcClosedLoop", "getOpens", RpcResult.Of((IReadOnlyList<IReadOnlyList<string?>>)[["1", "r1"], ["1", "r2"]]));

        var array = body.Elements().First().Element("getOpensReturn")!;
        array.Attribute(Enc + "arrayType")!.Value.ShouldBe("soapenc:string[][2]");
        var rows = body.Elements("multiRef").ToDictionary(m => "#" + m.Attribute("id")!.Value);
        var second = rows[array.Elements().ElementAt(1).Attribute("href")!.Value];
        second.Attribute(Enc + "arrayType")!.Value.ShouldBe("soapenc:string[2]");
        second.Elements().Select(e => e.Value).ShouldBe(["1", "r2"]);
    }

    [Fact]
    public void WriteResponse_Void_IsEmptyResponseElement()
    {
        var (_, body) = Write("RpcRecipient", "clear", RpcResult.Void);

        body.Elements().Single().Name.LocalName.ShouldBe("clearResponse");
        body.Elements().Single().HasElements.ShouldBeFalse();
    }

    [Fact]
    public void WriteFault_PlatformError_AxisUserExceptionWithImplExceptionPrefix()
    {
        var text = Encoding.UTF8.GetString(AxisResponseWriter.WriteFault(SandboxFault.InvalidSession()));

        var fault = XDocument.Parse(text).Root!.Element(Env + "Body")!.Element(Env + "Fault")!;
        fault.Element("faultcode")!.Value.ShouldBe("soapenv:Server.userException");
        fault.Element("faultstring")!.Value.ShouldBe("broadmail.api.soap11.impl.WebserviceImplException: Invalid sessionId");
        fault.Element("detail")!.Element(XName.Get("hostname", "http://xml.apache.org/axis/")).ShouldNotBeNull();
    }

    [Theory]
    [InlineData(0, new int[0])]
    [InlineData(1, new[] { 0 })]
    [InlineData(2, new[] { 1, 0 })]
    [InlineData(3, new[] { 1, 0, 2 })]
    public void OutOfOrder_Count_SwapsPairs(int count, int[] expected) =>
        AxisResponseWriter.OutOfOrder(count).ShouldBe(expected);
}
