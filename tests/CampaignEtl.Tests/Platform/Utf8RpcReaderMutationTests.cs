using System.Text;
using System.Xml;
using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;

namespace CampaignEtl.Tests.Platform;

/// <summary>
/// The fast readers against the reference on damaged answers: every fixture, cut, doubled and spiked with markup,
/// references and bad bytes at seeded random places. Whatever a fast reader accepts must read as the reference reads
/// it (the tree to the same values or the same error, the typed reads to the same values); what the reference refuses
/// they must decline. The fixed seeds keep it repeatable; a failure names the seed and the case.
/// </summary>
public sealed class Utf8RpcReaderMutationTests
{
    private const int Cases = 1500;

    private static readonly string[] Spikes =
    [
        "<", ">", "&", "&amp;", "&#53;", "\"", "'", "/", " ", "\n", "\r", "\t", "=", "id0", "#id1", "href=\"#id1\"", "id=\"id3\"",
        "xsi:nil=\"true\"", "5", "-1", "true", "\u00A0", "\u0001", "\uFFFE", "é", "xmlns:a=\"urn:a\"", "xmlns:xsi=\"urn:x\"",
        "<item>1</item>", "<item href=\"#id2\"/>", "]]>", "<!--c-->", "<![CDATA[1]]>", "<?pi?>", "multiRef", "soapenv:", "Fault",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FastReaders_DamagedFixtures_ReadAsTheReferenceOrDecline(int seed)
    {
        var random = new Random(seed);
        var fixtures = Directory.GetFiles(Path.GetDirectoryName(SoapFixtures.PathOf("clear_void.xml"))!, "*.xml").Order(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < Cases; i++)
        {
            var fixture = Path.GetFileName(fixtures[random.Next(fixtures.Length)]);
            var operation = Utf8RpcReaderTests.OperationOf(fixture);
            var text = Damage(File.ReadAllText(SoapFixtures.PathOf(fixture)), random);
            var bytes = random.Next(10) == 0 ? Encoding.Latin1.GetBytes(text) : Encoding.UTF8.GetBytes(text);
            foreach (var kind in Enum.GetValues<Utf8RpcReaderArraysTests.Kind>())
            {
                var (reference, error) = Reference(bytes, operation, kind);
                var because = $"seed {seed}, case {i}, {fixture} read as {kind}: {text}";
                if (Typed(bytes, operation, kind) is { } typed)
                {
                    error.ShouldBeNull(because);
                    typed.ShouldBe(reference, because);
                }

                if (Utf8RpcReader.TryRead(bytes, operation) is { } tree)
                {
                    var (value, treeError) = Read(tree, kind);
                    (treeError ?? value).ShouldBe(error ?? reference, because);
                }
            }
        }
    }

    private static string Damage(string text, Random random)
    {
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            var at = random.Next(text.Length + 1);
            switch (random.Next(3))
            {
                case 0:
                    text = text.Insert(at, Spikes[random.Next(Spikes.Length)]);
                    break;
                case 1 when at < text.Length:
                    text = text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at));
                    break;
                case 2 when at < text.Length:
                    var from = random.Next(text.Length);
                    text = text.Insert(at, text.Substring(from, Math.Min(random.Next(1, 30), text.Length - from)));
                    break;
            }
        }

        return text;
    }

    private static string? Typed(byte[] bytes, PlatformOperation operation, Utf8RpcReaderArraysTests.Kind kind) => kind switch
    {
        Utf8RpcReaderArraysTests.Kind.Codes => Utf8RpcReaderArraysTests.Dump(Utf8RpcReader.TryReadIntArray(bytes, operation)),
        Utf8RpcReaderArraysTests.Kind.Flags => Utf8RpcReaderArraysTests.Dump(Utf8RpcReader.TryReadBooleanArray(bytes, operation)),
        Utf8RpcReaderArraysTests.Kind.Texts => Utf8RpcReaderArraysTests.Dump(Utf8RpcReader.TryReadStringArray(bytes, operation)),
        _ => Utf8RpcReaderArraysTests.Dump(Utf8RpcReader.TryReadStringMatrix(bytes, operation)),
    };

    private static (string? Value, string? Error) Reference(byte[] bytes, PlatformOperation operation, Utf8RpcReaderArraysTests.Kind kind)
    {
        try
        {
            using var stream = new MemoryStream(bytes);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { IgnoreComments = true, IgnoreProcessingInstructions = true, DtdProcessing = DtdProcessing.Prohibit });
            return Read(RpcResponseReader.ReadEnvelope(reader, operation), kind);
        }
        catch (PlatformException ex)
        {
            return (null, ex.Message);
        }
    }

    private static (string? Value, string? Error) Read(RpcResult result, Utf8RpcReaderArraysTests.Kind kind)
    {
        try
        {
            return (kind switch
            {
                Utf8RpcReaderArraysTests.Kind.Codes => Utf8RpcReaderArraysTests.Dump(result.ReadIntArray(result.Return)),
                Utf8RpcReaderArraysTests.Kind.Flags => Utf8RpcReaderArraysTests.Dump(result.ReadBooleanArray(result.Return)),
                Utf8RpcReaderArraysTests.Kind.Texts => Utf8RpcReaderArraysTests.Dump(result.ReadStringArray(result.Return)),
                _ => Utf8RpcReaderArraysTests.Dump(result.ReadStringMatrix(result.Return)),
            }, null);
        }
        catch (PlatformException ex)
        {
            return (null, ex.Message);
        }
    }
}
