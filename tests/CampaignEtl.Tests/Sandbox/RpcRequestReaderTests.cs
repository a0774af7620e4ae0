using System.Text;
using CampaignEtl.Sandbox.Soap;

namespace CampaignEtl.Tests.Sandbox;

public sealed class RpcRequestReaderTests
{
    private const string Head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" " +
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\">";

    private static RpcCall Read(string body, string service = "RpcRecipient") =>
        RpcRequestReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(Head + "<soapenv:Header/><soapenv:Body>" + body + "</soapenv:Body></soapenv:Envelope>")), service);

    [Fact]
    public void Read_PositionalPartsOutOfOrder_OrdersByIndex()
    {
        var call = Read("<ns1:getCount xmlns:ns1=\"urn:api.broadmail.de/soap11/RpcRecipient\"><in2 xsi:type=\"xsd:long\">0</in2><in0 xsi:type=\"xsd:string\">s</in0><in1 xsi:type=\"xsd:long\">12</in1></ns1:getCount>");

        call.Operation.ShouldBe("getCount");
        call.String(0).ShouldBe("s");
        call.Long(1).ShouldBe(12);
        call.Long(2).ShouldBe(0);
    }

    [Fact]
    public void Read_HrefsToMultiRefs_ResolvesScalarsArraysAndItems()
    {
        var call = Read(
            "<ns1:addAll3 xmlns:ns1=\"urn:api.broadmail.de/soap11/RpcRecipient\"><in0 href=\"#id2\"/><in1 href=\"#id0\"/>" +
            "<in2 xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[2]\"><item href=\"#id1\"/><item xsi:nil=\"true\"/></in2>" +
            "<in3 xsi:type=\"soapenc:Array\" soapenc:arrayType=\"xsd:string[][1]\"><item href=\"#id3\"/></in3><in4 soapenc:arrayType=\"xsd:string[0]\"/></ns1:addAll3>" +
            "<multiRef id=\"id1\" xsi:type=\"xsd:string\">x@y.de</multiRef><multiRef id=\"id3\" soapenc:arrayType=\"xsd:string[2]\"><a>1</a><b>2</b></multiRef>" +
            "<multiRef id=\"id0\" xsi:type=\"xsd:long\">5</multiRef><multiRef id=\"id2\" xsi:type=\"xsd:string\">sess</multiRef>");

        call.String(0).ShouldBe("sess");
        call.Long(1).ShouldBe(5);
        call.StringArray(2).ShouldBe(["x@y.de", null]);
        call.StringArrayArray(3).Single().ShouldBe(["1", "2"]);
        call.StringArray(4).ShouldBeEmpty();
    }

    [Fact]
    public void Read_WrongNamespace_FaultsNoSuchOperation()
    {
        var fault = Should.Throw<SandboxFault>(() => Read("<ns1:getCount xmlns:ns1=\"urn:api.broadmail.de/soap11/RpcSession\"/>"));

        fault.FaultCode.ShouldBe("soapenv:Client");
    }

    [Theory]
    [InlineData("<html><body>no</body></html>")]
    [InlineData("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><x")]
    public void Read_NotAnEnvelope_FaultsWithSaxException(string text)
    {
        var fault = Should.Throw<SandboxFault>(() => RpcRequestReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "RpcRecipient"));

        fault.FaultString.ShouldStartWith("org.xml.sax.SAXException: ");
    }

    [Fact]
    public void Read_DanglingHref_Faults()
    {
        Should.Throw<SandboxFault>(() => Read("<ns1:clear xmlns:ns1=\"urn:api.broadmail.de/soap11/RpcRecipient\"><in0 href=\"#id9\"/></ns1:clear>"));
    }
}
