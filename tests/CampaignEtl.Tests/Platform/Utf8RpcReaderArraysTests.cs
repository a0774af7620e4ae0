using System.Globalization;
using System.Text;
using System.Xml;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Tests.Platform;

/// <summary>
/// The typed array reads (no node tree) are held to the reference: the XmlReader tree and <see cref="RpcResult"/>'s
/// array readers. Whatever the typed read accepts must come out the same; whatever the reference refuses (envelope
/// or value) it must decline, so the tree reports it.
/// </summary>
public sealed class Utf8RpcReaderArraysTests
{
    public enum Kind
    {
        Codes,
        Flags,
        Texts,
        Rows,
    }

    public static TheoryData<string, Kind> FixturesAndKinds()
    {
        var data = new TheoryData<string, Kind>();
        foreach (var path in Directory.GetFiles(Path.GetDirectoryName(SoapFixtures.PathOf("clear_void.xml"))!, "*.xml").Order(StringComparer.Ordinal))
        {
            foreach (var kind in Enum.GetValues<Kind>())
            {
                data.Add(Path.GetFileName(path), kind);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixturesAndKinds))]
    public void TypedRead_EveryFixtureAsEveryKind_MatchesTheReferenceOrDeclines(string fixture, Kind kind)
    {
        var operation = Utf8RpcReaderTests.OperationOf(fixture);
        var bytes = SoapFixtures.Bytes(fixture);

        var (typed, reference, error) = Both(bytes, operation, kind);

        if (error is not null)
        {
            typed.ShouldBeNull($"the reference refuses it ({error})");
        }
        else if (ReturnTypeOf(kind) == operation.ReturnType)
        {
            // The platform's own shapes for this kind are never declined.
            typed.ShouldBe(reference, $"{fixture} is a plain {kind} answer");
        }
        else if (typed is not null)
        {
            typed.ShouldBe(reference);
        }
    }

    [Fact]
    public void TypedRead_TheSandboxsAnswerOfEveryArrayOperation_IsTakenAndReadsAsTheReference()
    {
        // The sandbox writes what Axis writes; its answers must take the typed path, not fall back to the tree.
        IReadOnlyList<IReadOnlyList<string?>> rows = [["anna@example.org", "hardbounce", null, "2026-11-24T21:03:11+01:00"], ["Zoë & <Ærø> \"Müller\"", "", "x", "\tlf\nend"], []];
        var cases = new (PlatformOperation Operation, CampaignEtl.Sandbox.Soap.RpcResult Result, Kind Kind)[]
        {
            (Op.Recipient.AddAll3Flat, CampaignEtl.Sandbox.Soap.RpcResult.Of((IReadOnlyList<int>)[0, 5, 7, 1]), Kind.Codes),
            (Op.Recipient.AddAll3, CampaignEtl.Sandbox.Soap.RpcResult.Of((IReadOnlyList<int>)[]), Kind.Codes),
            (Op.Recipient.RemoveAll, CampaignEtl.Sandbox.Soap.RpcResult.Of((IReadOnlyList<bool>)[true, false]), Kind.Flags),
            (Op.Unsubscribe.ContainsAll, CampaignEtl.Sandbox.Soap.RpcResult.Of((IReadOnlyList<bool>)[false]), Kind.Flags),
            (Op.Recipient.GetAllAdvancedFlat, CampaignEtl.Sandbox.Soap.RpcResult.Of((IReadOnlyList<string?>)["a@b.c", null, "Zoë & Co", ""]), Kind.Texts),
            (Op.ClosedLoop.GetOutBounces, CampaignEtl.Sandbox.Soap.RpcResult.Of(rows), Kind.Rows),
            (Op.ClosedLoop.GetResponses, CampaignEtl.Sandbox.Soap.RpcResult.Of(rows), Kind.Rows),
            (Op.ClosedLoop.GetUnsubscribes, CampaignEtl.Sandbox.Soap.RpcResult.Of(rows), Kind.Rows),
            (Op.ClosedLoop.GetClicks, CampaignEtl.Sandbox.Soap.RpcResult.Of((IReadOnlyList<IReadOnlyList<string?>>)[]), Kind.Rows),
        };

        foreach (var (operation, result, kind) in cases)
        {
            var bytes = CampaignEtl.Sandbox.Soap.AxisResponseWriter.WriteResponse(operation.Service.Path, operation.Name, result);

            var (typed, reference, error) = Both(bytes, operation, kind);

            error.ShouldBeNull(operation.Key);
            typed.ShouldNotBeNull(operation.Key);
            typed.ShouldBe(reference, operation.Key);
        }
    }

    [Fact]
    public void TryReadIntArray_ThousandCodesByMultiRefInReverse_ReadsEveryCodeInItemOrder()
    {
        var codes = Enumerable.Range(0, 1000).Select(i => (i * 7) % 8).ToArray();
        var bytes = Encoding.UTF8.GetBytes(MultiRefCodes(codes.Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray()));

        Utf8RpcReader.TryReadIntArray(bytes, Op.Recipient.AddAll3Flat).ShouldBe(codes);
    }

    [Theory]
    [InlineData(" 5 ", true)]
    [InlineData("\n-3\t", true)]
    [InlineData("+7", true)]
    [InlineData("2147483647", true)]
    [InlineData("\u00A05\u00A0", true)]
    [InlineData("2147483648", false)]
    [InlineData("", false)]
    [InlineData("5x", false)]
    [InlineData("&#53;", true)]
    [InlineData("٣", false)]
    public void TryReadIntArray_CodeText_ReadsAsTheReference(string code, bool valid)
    {
        var bytes = Encoding.UTF8.GetBytes(MultiRefCodes(["0", code, "1"]));

        var (typed, reference, error) = Both(bytes, Op.Recipient.AddAll3Flat, Kind.Codes);

        (error is null).ShouldBe(valid, error);
        typed.ShouldBe(reference);
    }

    [Theory]
    [InlineData("<item href=\"#id9\"/>", "points at no multiRef")]
    [InlineData("<item xsi:nil=\"true\"/>", "nil")]
    [InlineData("<item xsi:nil=\"true\">5</item>", "nil")]
    [InlineData("<item xsi:nil=\"1\" href=\"#id1\"/>", null)]
    [InlineData("<item><x>1</x></item>", "holds elements")]
    [InlineData("<item href=\"#id01\"/>", "points at no multiRef")]
    [InlineData("<item href=\"id1\"/>", null)]
    [InlineData("<item href=\"#x1\"/>", "points at no multiRef")]
    public void TryReadIntArray_OddItem_ReadsAsTheReferenceOrDeclines(string item, string? referenceError)
    {
        var xml = MultiRefCodes(["4", "5"]).Replace("<item href=\"#id2\"/>", item, StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(xml);

        var (typed, reference, error) = Both(bytes, Op.Recipient.AddAll3Flat, Kind.Codes);

        if (referenceError is null)
        {
            error.ShouldBeNull();
            (typed is null || typed == reference).ShouldBeTrue();
        }
        else
        {
            error.ShouldNotBeNull().ShouldContain(referenceError);
            typed.ShouldBeNull();
        }
    }

    [Fact]
    public void TryReadIntArray_IdsNotOfAxisForm_Declines()
    {
        var xml = MultiRefCodes(["4", "5"]).Replace("\"#id2\"", "\"#r2\"", StringComparison.Ordinal).Replace("id=\"id2\"", "id=\"r2\"", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(xml);

        var (typed, reference, error) = Both(bytes, Op.Recipient.AddAll3Flat, Kind.Codes);

        error.ShouldBeNull();
        reference.ShouldBe("[4,5]");
        typed.ShouldBeNull();
    }

    [Fact]
    public void TryReadIntArray_HrefCycle_Declines()
    {
        var xml = MultiRefCodes(["4", "5"]).Replace(">5</multiRef>", " href=\"#id2\">5</multiRef>", StringComparison.Ordinal);

        var (typed, _, error) = Both(Encoding.UTF8.GetBytes(xml), Op.Recipient.AddAll3Flat, Kind.Codes);

        error.ShouldNotBeNull().ShouldContain("cycle");
        typed.ShouldBeNull();
    }

    [Theory]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void TryReadIntArray_HrefChain_IsFollowedAsFarAsTheReferenceFollowsIt(int hops, bool valid)
    {
        // The item points at id100, which points at id101, ... : the chain ends at a code after the given hops.
        var chain = new StringBuilder();
        for (var i = 0; i < hops - 1; i++)
        {
            chain.Append(CultureInfo.InvariantCulture, $"""<multiRef id="id{100 + i}" href="#id{101 + i}"/>""");
        }

        chain.Append(CultureInfo.InvariantCulture, $"""<multiRef id="id{100 + hops - 1}">6</multiRef></soapenv:Body>""");
        var xml = MultiRefCodes(["4"]).Replace("<item href=\"#id1\"/>", "<item href=\"#id100\"/>", StringComparison.Ordinal).Replace("</soapenv:Body>", chain.ToString(), StringComparison.Ordinal);

        var (typed, reference, error) = Both(Encoding.UTF8.GetBytes(xml), Op.Recipient.AddAll3Flat, Kind.Codes);

        (error is null).ShouldBe(valid, error);
        typed.ShouldBe(valid ? "[6]" : null);
        typed.ShouldBe(reference);
    }

    [Fact]
    public void TryReadStringMatrix_SandboxShapedRowsWithEscapesNilAndHrefItems_ReadsAsTheReference()
    {
        string?[][] rows =
        [
            ["anna@example.org", "hardbounce", "2026-11-24T21:03:11+01:00"],
            ["Zoë & <Ærø> \"Müller\"", null, string.Empty],
            [],
            ["  spaced\tand\nlines  ", "x"],
        ];
        var bytes = Encoding.UTF8.GetBytes(MultiRefRows(rows, hrefForSecondItem: true));

        var (typed, reference, error) = Both(bytes, Op.ClosedLoop.GetOutBounces, Kind.Rows);

        error.ShouldBeNull();
        typed.ShouldBe(reference);
        typed.ShouldBe(Dump(rows));
    }

    [Fact]
    public void TryReadStringMatrix_ThousandRows_ReadsEveryRow()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => new string?[] { $"person{i}@example.org", i % 3 == 0 ? null : "softbounce", i.ToString(CultureInfo.InvariantCulture) }).ToArray();
        var bytes = Encoding.UTF8.GetBytes(MultiRefRows(rows, hrefForSecondItem: false));

        var typed = Utf8RpcReader.TryReadStringMatrix(bytes, Op.ClosedLoop.GetOutBounces);

        typed.ShouldNotBeNull();
        Dump(typed).ShouldBe(Dump(rows));
    }

    [Fact]
    public void TryRead_SameTagUnderAnotherBindingOfItsPrefix_ReadsAsTheReference()
    {
        // The same item bytes under two bindings of the prefix: the second "x:nil" is not xsi:nil, so the tag must not
        // be taken for the first one's repeat.
        const string Xml = """
            <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns1:areBlacklistedResponse xmlns:ns1="urn:api.broadmail.de/soap11/RpcBlacklist">
            <r><a xmlns:x="urn:other"><item x:nil="true">one</item></a><a xmlns:x="http://www.w3.org/2001/XMLSchema-instance"><item x:nil="true">two</item></a></r>
            </ns1:areBlacklistedResponse></soapenv:Body></soapenv:Envelope>
            """;
        var bytes = Encoding.UTF8.GetBytes(Xml);

        var tree = Utf8RpcReader.TryRead(bytes, Op.Blacklist.AreBlacklisted).ShouldNotBeNull();
        var (typed, reference, error) = Both(bytes, Op.Blacklist.AreBlacklisted, Kind.Rows);

        tree.Return.Children!.Select(a => a.Children![0].IsNil).ShouldBe([false, true]);
        error.ShouldBeNull();
        typed.ShouldBe("[['one'],[(nil)]]");
        typed.ShouldBe(reference);
    }

    [Theory]
    [InlineData("id=\"id1\"", "id=\"id1\u0001\"")]
    [InlineData("xsi:type=\"xsd:int\"", "xsi:type=\"xsd:int\u0002\"")]
    [InlineData("xsi:type=\"xsd:int\"", "xsi:type=\"xsd:\u00FF\"")]
    public void TryRead_AttributeValueTheReferenceRefuses_Declines(string find, string replace)
    {
        // Values the tree never decodes (xsi:type) must be checked too: the reference refuses the whole document.
        var xml = MultiRefCodes(["4"]).Replace(find, replace, StringComparison.Ordinal);
        var bytes = replace.Contains('\u00FF', StringComparison.Ordinal) ? Encoding.Latin1.GetBytes(xml) : Encoding.UTF8.GetBytes(xml);

        var (typed, _, error) = Both(bytes, Op.Recipient.AddAll3Flat, Kind.Codes);

        error.ShouldNotBeNull();
        typed.ShouldBeNull();
        Utf8RpcReader.TryRead(bytes, Op.Recipient.AddAll3Flat).ShouldBeNull();
    }

    [Fact]
    public void TryReadIntArray_ElementBeforeTheAnswerThatIsNoMultiRef_Declines()
    {
        var xml = MultiRefCodes(["4"]).Replace("<soapenv:Body>", "<soapenv:Body><stray/>", StringComparison.Ordinal);

        var (typed, _, error) = Both(Encoding.UTF8.GetBytes(xml), Op.Recipient.AddAll3Flat, Kind.Codes);

        error.ShouldNotBeNull();
        typed.ShouldBeNull();
    }

    private static string? ReturnTypeOf(Kind kind) => kind switch
    {
        Kind.Codes => Op.IntArray,
        Kind.Flags => Op.BooleanArray,
        Kind.Texts => Op.StringArray,
        _ => Op.StringArrayArray,
    };

    /// <summary>The typed read and the reference's, each dumped as text; the reference's error instead when it refuses.</summary>
    private static (string? Typed, string? Reference, string? Error) Both(byte[] bytes, PlatformOperation operation, Kind kind)
    {
        var typed = kind switch
        {
            Kind.Codes => Dump(Utf8RpcReader.TryReadIntArray(bytes, operation)),
            Kind.Flags => Dump(Utf8RpcReader.TryReadBooleanArray(bytes, operation)),
            Kind.Texts => Dump(Utf8RpcReader.TryReadStringArray(bytes, operation)),
            _ => Dump(Utf8RpcReader.TryReadStringMatrix(bytes, operation)),
        };
        try
        {
            using var stream = new MemoryStream(bytes);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { IgnoreComments = true, IgnoreProcessingInstructions = true, DtdProcessing = DtdProcessing.Prohibit });
            var result = RpcResponseReader.ReadEnvelope(reader, operation);
            var reference = kind switch
            {
                Kind.Codes => Dump(result.ReadIntArray(result.Return)),
                Kind.Flags => Dump(result.ReadBooleanArray(result.Return)),
                Kind.Texts => Dump(result.ReadStringArray(result.Return)),
                _ => Dump(result.ReadStringMatrix(result.Return)),
            };
            return (typed, reference, null);
        }
        catch (PlatformException ex)
        {
            return (typed, null, ex.Message);
        }
    }

    internal static string? Dump<T>(T[]? values) => values is null ? null : "[" + string.Join(",", values.Select(Item)) + "]";

    private static string Item<T>(T value) => value switch
    {
        null => "(nil)",
        string s => "'" + s + "'",
        bool b => b ? "true" : "false",
        System.Collections.IEnumerable row => "[" + string.Join(",", row.Cast<object?>().Select(Item)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    /// <summary>An Axis answer of codes: the array a multiRef of hrefs, each code a multiRef, written last and in reverse (as out of order as the wire allows).</summary>
    internal static string MultiRefCodes(string[] codes)
    {
        var text = new StringBuilder("""<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><ns1:addAll3FlatResponse soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns1="urn:api.broadmail.de/soap11/RpcRecipient"><addAll3FlatReturn href="#id0"/></ns1:addAll3FlatResponse>""");
        text.Append(CultureInfo.InvariantCulture, $"""<multiRef id="id0" soapenc:root="0" soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" soapenc:arrayType="xsd:int[{codes.Length}]" xsi:type="soapenc:Array" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">""");
        for (var i = 0; i < codes.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"""<item href="#id{i + 1}"/>""");
        }

        text.Append("</multiRef>");
        for (var i = codes.Length - 1; i >= 0; i--)
        {
            text.Append(CultureInfo.InvariantCulture, $"""<multiRef id="id{i + 1}" soapenc:root="0" soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xsi:type="xsd:int" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">{codes[i]}</multiRef>""");
        }

        text.Append("</soapenv:Body></soapenv:Envelope>");
        return text.ToString();
    }

    /// <summary>
    /// A ClosedLoop answer as the sandbox writes it (rows as multiRefs, pairwise out of order), with XML escapes; with
    /// <paramref name="hrefForSecondItem"/> each row's second item is itself an href to a string multiRef.
    /// </summary>
    private static string MultiRefRows(string?[][] rows, bool hrefForSecondItem)
    {
        var multiRefs = new List<string>();
        var text = new StringBuilder("""<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><ns1:getOutBouncesResponse soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns1="urn:api.broadmail.de/soap11/RpcClosedLoop">""");
        text.Append(CultureInfo.InvariantCulture, $"""<getOutBouncesReturn soapenc:arrayType="soapenc:string[][{rows.Length}]" xsi:type="soapenc:Array" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">""");
        foreach (var row in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"""<item href="#id{multiRefs.Count}"/>""");
            var body = new StringBuilder().Append(CultureInfo.InvariantCulture, $"""soapenc:arrayType="soapenc:string[{row.Length}]" xsi:type="soapenc:Array" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">""");
            multiRefs.Add(string.Empty);
            var index = multiRefs.Count - 1;
            for (var i = 0; i < row.Length; i++)
            {
                if (hrefForSecondItem && i == 1)
                {
                    body.Append(CultureInfo.InvariantCulture, $"""<item href="#id{multiRefs.Count}"/>""");
                    multiRefs.Add("xsi:type=\"soapenc:string\" xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\"" + (row[i] is null ? " xsi:nil=\"true\">" : ">" + Escape(row[i]!)) + "</multiRef>");
                    continue;
                }

                body.Append(row[i] is null ? """<item xsi:type="soapenc:string" xsi:nil="true"/>""" : "<item xsi:type=\"soapenc:string\">" + Escape(row[i]!) + "</item>");
            }

            multiRefs[index] = body.Append("</multiRef>").ToString();
        }

        text.Append("</getOutBouncesReturn></ns1:getOutBouncesResponse>");
        for (var i = 0; i < multiRefs.Count; i++)
        {
            var id = i % 2 == 0 && i + 1 < multiRefs.Count ? i + 1 : i % 2 == 1 ? i - 1 : i;
            text.Append(CultureInfo.InvariantCulture, $"""<multiRef id="id{id}" soapenc:root="0" soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" {multiRefs[id]}""");
        }

        text.Append("</soapenv:Body></soapenv:Envelope>");
        return text.ToString();

        static string Escape(string value) => value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
    }
}
