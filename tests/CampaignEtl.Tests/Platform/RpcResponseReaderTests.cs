using System.Text;
using System.Xml;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Tests.Platform;

/// <summary>Conformance: the codec against fixtures written from the documented Axis wire shapes.</summary>
public sealed class RpcResponseReaderTests
{
    [Fact]
    public void ReadEnvelope_InlineString_ReturnsIt()
    {
        var result = SoapFixtures.Read(Op.Session.Login, "login_inline-string.xml");

        result.ReadString(result.Return).ShouldBe("befa6775f59da478");
    }

    [Fact]
    public void ReadEnvelope_ScalarMultiRefAfterReference_IsResolved()
    {
        var result = SoapFixtures.Read(Op.Recipient.GetCount, "getCount_multiref-after.xml");

        result.ReadInt(result.Return).ShouldBe(42);
    }

    [Fact]
    public void ReadEnvelope_ScalarMultiRefBeforeResponseElement_IsResolved()
    {
        var result = SoapFixtures.Read(Op.Recipient.GetCount, "getCount_multiref-before.xml");

        result.ReadInt(result.Return).ShouldBe(7);
    }

    [Fact]
    public void ReadEnvelope_LongMultiRef_IsResolved()
    {
        var result = SoapFixtures.Read(Op.ClosedLoop.GetCurrentTime, "getCurrentTime_multiref-long.xml");

        result.ReadLong(result.Return).ShouldBe(1764068400000L);
    }

    [Fact]
    public void ReadEnvelope_ArrayItemsByHrefOutOfOrder_KeepItemOrder()
    {
        var result = SoapFixtures.Read(Op.Recipient.AddAll3Flat, "addAll3Flat_multiref-items-out-of-order.xml");

        result.ReadIntArray(result.Return).ShouldBe([0, 1, 5, 7]);
    }

    [Fact]
    public void ReadEnvelope_InlineIntArray_ReadsEveryCode()
    {
        var result = SoapFixtures.Read(Op.Recipient.AddAll3, "addAll3_inline-int-array.xml");

        result.ReadIntArray(result.Return).ShouldBe([0, 1, 2, 3, 4, 5, 6, 7]);
    }

    [Fact]
    public void ReadEnvelope_BooleanArrayByHref_IsResolved()
    {
        var result = SoapFixtures.Read(Op.Recipient.RemoveAll, "removeAll_multiref-booleans.xml");

        result.ReadBooleanArray(result.Return).ShouldBe([true, false]);
    }

    [Fact]
    public void ReadEnvelope_InlineStringArray_KeepsEscapesEmptyNilAndSpaces()
    {
        var result = SoapFixtures.Read(Op.Recipient.GetAllAdvancedFlat, "getAllAdvancedFlat_inline-string-array.xml");

        result.ReadStringArray(result.Return).ShouldBe(["anna@example.org", "Anna & Ben <Müller>", "", "ben@example.org", null, " spaced "]);
    }

    [Fact]
    public void ReadEnvelope_ArrayOfArraysWithMultiRefsOutOfOrder_IsResolved()
    {
        var result = SoapFixtures.Read(Op.ClosedLoop.GetOutBounces, "getOutBounces_multiref-out-of-order.xml");

        var rows = result.ReadStringMatrix(result.Return);

        rows.Length.ShouldBe(2);
        rows[0].ShouldBe(["anna@example.org", "softbounce", null]);
        rows[1].ShouldBe(["carl@example.org", "hardbounce", "2026-11-24T21:03:11+01:00"]);
    }

    [Fact]
    public void ReadEnvelope_InlineArrayOfArraysWithEmptyRow_ReadsBoth()
    {
        var result = SoapFixtures.Read(Op.ClosedLoop.GetOpens, "getOpens_inline-array-of-arrays.xml");

        var rows = result.ReadStringMatrix(result.Return);

        rows.Length.ShouldBe(2);
        rows[0].ShouldBe(["anna@example.org", "900001"]);
        rows[1].ShouldBeEmpty();
    }

    [Fact]
    public void ReadEnvelope_EmptyArray_IsEmpty()
    {
        var result = SoapFixtures.Read(Op.ClosedLoop.GetClicks, "getClicks_empty-array.xml");

        result.ReadStringMatrix(result.Return).ShouldBeEmpty();
    }

    [Fact]
    public void ReadEnvelope_NilArray_ReadsAsEmpty()
    {
        var result = SoapFixtures.Read(Op.Recipient.GetAllAdvancedFlat, "getAllAdvancedFlat_nil-return.xml");

        result.ReadStringArray(result.Return).ShouldBeEmpty();
    }

    [Fact]
    public void ReadEnvelope_NilString_IsNull()
    {
        var result = SoapFixtures.Read(Op.Session.Login, "login_nil-return.xml");

        result.ReadString(result.Return).ShouldBeNull();
    }

    [Fact]
    public void ReadEnvelope_NilWhereIntExpected_NamesTheProblem()
    {
        var result = SoapFixtures.Read(Op.Session.Login, "login_nil-return.xml");

        var ex = Should.Throw<PlatformException>(() => result.ReadInt(result.Return));

        ex.Message.ShouldContain("is nil where an xsd:int was expected");
    }

    [Fact]
    public void ReadEnvelope_VoidResponse_HasNoReturnPart()
    {
        var result = SoapFixtures.Read(Op.Recipient.Clear, "clear_void.xml");

        result.ReturnPart.ShouldBeNull();
    }

    [Theory]
    [InlineData("fault_invalid-credentials.xml", PlatformFaultKind.InvalidCredentials, "Invalid credentials.")]
    [InlineData("fault_invalid-sessionid.xml", PlatformFaultKind.InvalidSessionId, "Invalid sessionId")]
    [InlineData("fault_recipient-does-not-exist.xml", PlatformFaultKind.RecipientDoesNotExist, "Recipient does not exists")]
    public void ReadEnvelope_Fault_ThrowsTypedFaultWithPlatformMessage(string fixture, PlatformFaultKind kind, string message)
    {
        var ex = Should.Throw<PlatformFaultException>(() => SoapFixtures.Read(Op.Recipient.GetCount, fixture));

        ex.Kind.ShouldBe(kind);
        ex.PlatformMessage.ShouldBe(message);
        ex.FaultCode.ShouldBe("soapenv:Server.userException");
        ex.Operation.ShouldBe("RecipientWebservice.getCount");
        ex.Message.ShouldBe($"RecipientWebservice.getCount failed on the platform: {message}");
        ex.IsTransient.ShouldBeFalse();
    }

    [Theory]
    [InlineData("java.net.SocketTimeoutException: Read timed out", "Read timed out")]
    [InlineData("java.net.SocketException: Connection reset", "Connection reset")]
    [InlineData("java.net.ConnectException: Connection refused (Connection refused)", "Connection refused (Connection refused)")]
    [InlineData("java.io.IOException: Connection timed out", "Connection timed out")]
    [InlineData("java.io.IOException: Connection reset by peer", "Connection reset by peer")]
    [InlineData("com.optivo.broadmail.api.soap11.WebserviceImplException: nested exception is java.net.SocketTimeoutException: Read timed out", "nested exception is java.net.SocketTimeoutException: Read timed out")]
    public void ReadEnvelope_FaultNamingJavaIoException_IsTransient(string faultString, string platformMessage)
    {
        var ex = Should.Throw<PlatformFaultException>(() => ReadFault(faultString));

        ex.IsTransient.ShouldBeTrue();
        ex.Kind.ShouldBe(PlatformFaultKind.Other);
        ex.PlatformMessage.ShouldBe(platformMessage);
        ex.Message.ShouldStartWith("RecipientWebservice.getCount failed on the platform: " + platformMessage + " (java.");
    }

    [Theory]
    [InlineData("java.io.IOException: Stream closed")]
    [InlineData("java.io.FileNotFoundException: /data/list-4711.csv")]
    [InlineData("java.lang.NullPointerException")]
    [InlineData("com.optivo.broadmail.api.soap11.WebserviceImplException: List 4711 timed out waiting for a lock")]
    [InlineData("com.optivo.broadmail.api.soap11.WebserviceImplException: Invalid sessionId")]
    public void ReadEnvelope_OtherFault_IsNotTransient(string faultString)
    {
        var ex = Should.Throw<PlatformFaultException>(() => ReadFault(faultString));

        ex.IsTransient.ShouldBeFalse();
    }

    private static RpcResult ReadFault(string faultString)
    {
        var xml = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><soapenv:Fault>"
            + "<faultcode>soapenv:Server.userException</faultcode><faultstring>" + System.Security.SecurityElement.Escape(faultString) + "</faultstring>"
            + "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
        using var reader = XmlReader.Create(new StringReader(xml));
        return RpcResponseReader.ReadEnvelope(reader, Op.Recipient.GetCount);
    }

    [Fact]
    public void ReadEnvelope_FaultWithCallArguments_KeepsSessionIdAndAddressOut()
    {
        var ex = Should.Throw<PlatformFaultException>(() => SoapFixtures.Read(Op.Recipient.GetCount, "fault_recipient-does-not-exist.xml"));

        ex.ToString().ShouldNotContain("befa6775f59da478");
        ex.ToString().ShouldNotContain("anna@example.org");
    }

    [Fact]
    public void ReadEnvelope_FaultEchoingThePassword_ScrubsIt()
    {
        var scrubber = new SecretScrubber();
        scrubber.Add("S3cret-Pa55word");

        var ex = Should.Throw<PlatformFaultException>(() => SoapFixtures.Read(Op.Session.Login, "fault_echoes-secrets.xml", scrubber));

        ex.Kind.ShouldBe(PlatformFaultKind.InvalidCredentials);
        ex.ToString().ShouldNotContain("S3cret-Pa55word");
    }

    [Fact]
    public void ReadEnvelope_TruncatedXml_SaysSoInsteadOfNull()
    {
        var ex = Should.Throw<PlatformException>(() => SoapFixtures.Read(Op.Recipient.GetCount, "getCount_truncated.xml"));

        ex.Message.ShouldStartWith("RecipientWebservice.getCount: the platform's answer is not a usable SOAP response: the XML is broken or truncated");
        ex.InnerException.ShouldBeOfType<XmlException>();
    }

    [Fact]
    public void ReadEnvelope_WrongNamespace_NamesBothNamespaces()
    {
        var ex = Should.Throw<PlatformException>(() => SoapFixtures.Read(Op.Recipient.GetCount, "getCount_wrong-namespace.xml"));

        ex.Message.ShouldBe("RecipientWebservice.getCount: the platform's answer is not a usable SOAP response: <getCountResponse> is in namespace 'urn:api.broadmail.de/soap11/RpcRecipientList', expected 'urn:api.broadmail.de/soap11/RpcRecipient'");
    }

    [Fact]
    public void ReadEnvelope_HtmlPage_IsNotAnEnvelope()
    {
        // XHTML-ish pages parse as XML far enough to show they are no SOAP envelope.
        var html = "<html><body><h1>Internal Server Error</h1></body></html>";
        using var reader = XmlReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(html)));

        var ex = Should.Throw<PlatformException>(() => RpcResponseReader.ReadEnvelope(reader, Op.Recipient.GetCount));

        ex.Message.ShouldContain("expected a SOAP 1.1 Envelope, found <html>");
    }

    [Fact]
    public void ReadEnvelope_DanglingHref_NamesIt()
    {
        var xml = File.ReadAllText(SoapFixtures.PathOf("getCount_multiref-after.xml")).Replace("id=\"id0\"", "id=\"id9\"", StringComparison.Ordinal);
        using var reader = XmlReader.Create(new StringReader(xml));
        var result = RpcResponseReader.ReadEnvelope(reader, Op.Recipient.GetCount);

        var ex = Should.Throw<PlatformException>(() => result.ReadInt(result.Return));

        ex.Message.ShouldContain("href '#id0' points at no multiRef element");
    }

    [Fact]
    public void ReadEnvelope_ReturnMissing_IsAClearError()
    {
        var xml = File.ReadAllText(SoapFixtures.PathOf("clear_void.xml")).Replace("clearResponse", "getCountResponse", StringComparison.Ordinal);
        using var reader = XmlReader.Create(new StringReader(xml));

        var ex = Should.Throw<PlatformException>(() => RpcResponseReader.ReadEnvelope(reader, Op.Recipient.GetCount));

        ex.Message.ShouldContain("<getCountResponse> holds no <getCountReturn>");
    }
}
