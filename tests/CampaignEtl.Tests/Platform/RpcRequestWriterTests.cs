using System.Text;
using System.Xml.Linq;
using CampaignEtl.Platform.Soap;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Tests.Platform;

/// <summary>Conformance: the requests the client writes, checked structurally and, for one call, byte for byte.</summary>
public sealed class RpcRequestWriterTests
{
    private static readonly XNamespace Env = "http://schemas.xmlsoap.org/soap/envelope/";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private static readonly XNamespace Enc = "http://schemas.xmlsoap.org/soap/encoding/";

    [Fact]
    public void WriteEnvelope_Login_IsExactlyTheDocumentedShape()
    {
        var xml = Write(Op.Session.Login, [SoapArg.Long(123), SoapArg.String("etl-user"), SoapArg.String("p<&>\"w")]);

        xml.ShouldBe(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<soapenv:Envelope xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>"
            + "<ns1:login soapenv:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:ns1=\"urn:api.broadmail.de/soap11/RpcSession\">"
            + "<in0 xsi:type=\"xsd:long\">123</in0><in1 xsi:type=\"xsd:string\">etl-user</in1><in2 xsi:type=\"xsd:string\">p&lt;&amp;&gt;\"w</in2>"
            + "</ns1:login></soapenv:Body></soapenv:Envelope>");
    }

    [Theory]
    [InlineData("SessionWebservice", "login", "urn:api.broadmail.de/soap11/RpcSession")]
    [InlineData("RecipientWebservice", "getCount", "urn:api.broadmail.de/soap11/RpcRecipient")]
    [InlineData("UnsubscribeWebservice", "getCount", "urn:api.broadmail.de/soap11/RpcUnsubscribe")]
    [InlineData("BlacklistWebservice", "areBlacklisted", "urn:api.broadmail.de/soap11/RpcBlacklist")]
    [InlineData("ClosedLoopWebservice", "getOpens", "urn:api.broadmail.de/soap11/RpcClosedLoop")]
    [InlineData("ResponseWebservice", "getBounceCounterThreshold", "urn:api.broadmail.de/soap11/RpcResponse")]
    public void WriteEnvelope_EveryService_UsesItsRpcNamespaceAndEncodingStyle(string service, string operation, string ns)
    {
        var op = Op.Operations.Single(o => o.Service.Name == service && o.Name == operation);
        var args = op.Parts.Select(_ => SoapArg.Nil).ToArray();

        var call = Call(Write(op, args));

        call.Name.ShouldBe(XName.Get(operation, ns));
        call.Attribute(Env + "encodingStyle")!.Value.ShouldBe("http://schemas.xmlsoap.org/soap/encoding/");
    }

    [Fact]
    public void WriteEnvelope_AddAll3Flat_PartsInOrderWithXsiTypesAndArrayTypes()
    {
        var call = Call(Write(Op.Recipient.AddAll3Flat,
        [
            SoapArg.String("sid"), SoapArg.Long(4711), SoapArg.Long(0),
            SoapArg.StringArray(["r1", "r2"]), SoapArg.StringArray(["a@x.org", "b@x.org"]),
            SoapArg.StringArray(["firstname"]), SoapArg.StringArray(["Anna", null]),
        ]));

        call.Elements().Select(e => e.Name.LocalName).ShouldBe(["in0", "in1", "in2", "in3", "in4", "in5", "in6"]);
        call.Elements().Select(e => e.Attribute(Xsi + "type")!.Value).ShouldBe(["xsd:string", "xsd:long", "xsd:long", "soapenc:Array", "soapenc:Array", "soapenc:Array", "soapenc:Array"]);
        call.Element("in3")!.Attribute(Enc + "arrayType")!.Value.ShouldBe("xsd:string[2]");
        call.Element("in5")!.Attribute(Enc + "arrayType")!.Value.ShouldBe("xsd:string[1]");
        var values = call.Element("in6")!.Elements("item").ToList();
        values[0].Value.ShouldBe("Anna");
        values[1].Attribute(Xsi + "nil")!.Value.ShouldBe("true");
    }

    [Fact]
    public void WriteEnvelope_AddAll3_ArrayOfArraysDeclaresStringArrayOfArrays()
    {
        var call = Call(Write(Op.Recipient.AddAll3,
        [
            SoapArg.String("sid"), SoapArg.Long(1), SoapArg.Long(2), SoapArg.StringArray(["r1", "r2"]), SoapArg.StringArray(["a", "b"]),
            SoapArg.StringArray(["x", "y"]), SoapArg.StringArrayArray([["1", "2"], ["3", null]]),
        ]));

        var in6 = call.Element("in6")!;
        in6.Attribute(Xsi + "type")!.Value.ShouldBe("soapenc:Array");
        in6.Attribute(Enc + "arrayType")!.Value.ShouldBe("xsd:string[][2]");
        var rows = in6.Elements("item").ToList();
        rows.ShouldAllBe(r => r.Attribute(Enc + "arrayType")!.Value == "xsd:string[2]");
        rows[1].Elements().Last().Attribute(Xsi + "nil")!.Value.ShouldBe("true");
    }

    [Fact]
    public void WriteEnvelope_EmptyArrayAndNilAndScalars_AreEncoded()
    {
        var call = Call(Write(Op.Recipient.GetAllAdvancedFlat,
        [
            SoapArg.String("sid"), SoapArg.Long(-5), SoapArg.StringArray([]), SoapArg.Long(0), SoapArg.String(null),
            SoapArg.Boolean(true), SoapArg.Int(int.MaxValue), SoapArg.Int(1000),
        ]));

        call.Element("in1")!.Value.ShouldBe("-5");
        call.Element("in2")!.Attribute(Enc + "arrayType")!.Value.ShouldBe("xsd:string[0]");
        call.Element("in2")!.HasElements.ShouldBeFalse();
        call.Element("in4")!.Attribute(Xsi + "nil")!.Value.ShouldBe("true");
        call.Element("in4")!.Attribute(Xsi + "type")!.Value.ShouldBe("xsd:string");
        call.Element("in5")!.Value.ShouldBe("true");
        call.Element("in5")!.Attribute(Xsi + "type")!.Value.ShouldBe("xsd:boolean");
        call.Element("in6")!.Value.ShouldBe("2147483647");
        call.Element("in6")!.Attribute(Xsi + "type")!.Value.ShouldBe("xsd:int");
    }

    [Fact]
    public void WriteEnvelope_ArrayItemsWithMarkupAndLineBreaks_RoundTrip()
    {
        string[] values = ["a<b>&c", "line1\r\nline2\tend", "emoji \U0001F600 ok", "Müller", "", "]]>", new string('x', 40_000)];

        var call = Call(Write(Op.Unsubscribe.ContainsAll, [SoapArg.String("sid"), SoapArg.StringArray(values)]));

        call.Element("in1")!.Elements("item").Select(e => e.Value).ShouldBe(values);
    }

    [Theory]
    [InlineData(0x0007)]
    [InlineData(0xD800)] // built in code: attribute data cannot hold a lone surrogate
    [InlineData(0xFFFF)]
    [InlineData(0xFFFE)]
    [InlineData(0x001F)]
    public void WriteEnvelope_CharacterXmlCannotCarry_IsRefusedWithoutEchoingTheValue(int character)
    {
        var value = "bad " + (char)character + " value, long enough for a vector";
        var ex = Should.Throw<ArgumentException>(() => Write(Op.Unsubscribe.ContainsAll, [SoapArg.String("sid"), SoapArg.StringArray(["ok", value])]));

        ex.Message.ShouldNotContain(value);
        ex.Message.ShouldContain($"U+{character:X4}");
    }

    [Fact]
    public void WriteEnvelope_ArgumentOfWrongType_IsRefused()
    {
        var ex = Should.Throw<InvalidOperationException>(() => Write(Op.Recipient.Clear, [SoapArg.String("sid"), SoapArg.String("4711")]));

        ex.Message.ShouldBe("RecipientWebservice.clear part in1 is xsd:long, a String was given");
    }

    [Fact]
    public void WriteEnvelope_WrongPartCount_IsRefused()
    {
        Should.Throw<InvalidOperationException>(() => Write(Op.Recipient.Clear, [SoapArg.String("sid")]));
    }

    [Fact]
    public void WriteEnvelope_EveryOperationAndPartKind_SameBytesAsTheXmlWriterReference()
    {
        string?[] values =
        [
            "a<b>&c", "line1\nline2\tend", "line1\r\nline2\r", "emoji \U0001F600 ok", "Müller \uE000 \uFFFD \uF000", "", "]]>", null, "\"quoted\" 'single'",
            // Plain ASCII in 16- and 8-character blocks and the overlapping last block, with markup at each end of them.
            "1234567", "12345678", "123456789abcdef", "0123456789abcdef", "0123456789abcdef0", "0123456789abcdef<", "<123456789abcdef", "1234567&", "&1234567890", "0123&56789abcdefXYZ", "0123456789a>cdef0123456789", "0123456789abcdef012345678<",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ~ !", "del \u007F end", "Zoë & <Ærø> \"Müller\" 17",
            // Escaped from a copy longer than the stack's.
            new string('a', 600) + "&" + new string('é', 300) + "<\r>",
        ];
        IReadOnlyList<IReadOnlyList<string?>> rows = [values, [], null!, ["x"]];
        var cases = new List<(CampaignEtl.Platform.PlatformOperation, SoapArg[])>
        {
            (Op.Recipient.AddAll3Flat, [SoapArg.String("sid"), SoapArg.Long(-4711), SoapArg.Long(0), SoapArg.StringArray(values), SoapArg.StringArray([]), SoapArg.Nil, SoapArg.StringArray(values)]),
            (Op.Recipient.AddAll3, [SoapArg.String(""), SoapArg.Long(long.MaxValue), SoapArg.Long(long.MinValue), SoapArg.StringArray(["r"]), SoapArg.StringArray(["e"]), SoapArg.StringArray(["a"]), SoapArg.StringArrayArray(rows)]),
            (Op.Recipient.AddAll3, [SoapArg.String("s"), SoapArg.Long(1), SoapArg.Long(2), SoapArg.Nil, SoapArg.Nil, SoapArg.Nil, SoapArg.StringArrayArray([])]),
            (Op.Recipient.GetAllAdvancedFlat, [SoapArg.String("a<&>b"), SoapArg.Long(1), SoapArg.StringArray(["x"]), SoapArg.Long(0), SoapArg.Nil, SoapArg.Boolean(true), SoapArg.Int(int.MinValue), SoapArg.Int(1000)]),
            (Op.Recipient.GetAllAdvancedFlat, [SoapArg.String("s"), SoapArg.Long(1), SoapArg.StringArray([]), SoapArg.Long(0), SoapArg.String("recipientId"), SoapArg.Boolean(false), SoapArg.Int(0), SoapArg.Int(0)]),
        };

        foreach (var (operation, args) in cases)
        {
            using var fast = new MemoryStream();
            using var reference = new MemoryStream();
            RpcRequestWriter.WriteEnvelope(fast, operation, args);
            RpcRequestWriter.WriteEnvelopeWithXmlWriter(reference, operation, args);

            Encoding.UTF8.GetString(fast.ToArray()).ShouldBe(Encoding.UTF8.GetString(reference.ToArray()), operation.Key);
        }
    }

    private static string Write(CampaignEtl.Platform.PlatformOperation operation, SoapArg[] args)
    {
        using var stream = new MemoryStream();
        RpcRequestWriter.WriteEnvelope(stream, operation, args);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static XElement Call(string xml) => XDocument.Parse(xml).Root!.Element(Env + "Body")!.Elements().Single();
}
