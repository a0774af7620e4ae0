using System.Text;
using CampaignEtl.Pipeline.Suppress;

namespace CampaignEtl.Tests.Suppress;

public sealed class CsvRecordReaderTests
{
    [Fact]
    public void TryRead_QuotedFieldsAndLineBreaks_FieldsAndStartLines()
    {
        var records = ReadAll("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",z\r\n\r\nlast,1");

        records.Select(r => r.Line).ShouldBe([1L, 2L, 3L, 6L]);
        records[1].Fields.ShouldBe(["x, y", "say \"hi\""]);
        records[2].Fields.ShouldBe(["two\nlines", "z"]);
        records[3].Fields.ShouldBe(["last", "1"]);
    }

    [Fact]
    public void TryRead_InvalidUtf8_ThatLineIsAnErrorAndTheNextIsRead()
    {
        var records = ReadAll([.. "h\r\n"u8, .. "m"u8, 0xFC, .. "ller\r\nok\r\n"u8]);

        records.Count.ShouldBe(3);
        records[1].ShouldBe(new CsvRecord(2, null, CsvRecordReader.InvalidUtf8));
        records[2].Fields.ShouldBe(["ok"]);
    }

    [Fact]
    public void TryRead_QuoteNeverClosed_ThrowsWithTheLineItOpenedOn()
    {
        var reader = new CsvRecordReader(new MemoryStream(Encoding.UTF8.GetBytes("h\r\nfine\r\n\"open\r\nmore\r\n")));
        reader.TryRead(out _).ShouldBeTrue();
        reader.TryRead(out _).ShouldBeTrue();

        Should.Throw<CsvQuoteException>(() => reader.TryRead(out _)).Line.ShouldBe(3);
    }

    [Fact]
    public void TryRead_QuoteNeverClosedInALongFile_FailsAfterOneRecordsWorthNotAtTheEnd()
    {
        // An open quote on line 2 of a file far longer than a record: the reader must give up at the
        // record limit (memory), naming the line the quote opened on, without reading to the end.
        var stream = new MemoryStream();
        stream.Write(Encoding.UTF8.GetBytes("h\r\n\"open\r\n"));
        var filler = Encoding.UTF8.GetBytes("x,y,z\r\n");
        while (stream.Length < CsvRecordReader.MaxRecordBytes * 8)
        {
            stream.Write(filler);
        }

        stream.Position = 0;
        var reader = new CsvRecordReader(stream);
        reader.TryRead(out _).ShouldBeTrue();

        var error = Should.Throw<CsvQuoteException>(() => reader.TryRead(out _));

        error.Line.ShouldBe(2);
        error.Message.ShouldContain("not closed within");
        stream.Position.ShouldBeLessThan(CsvRecordReader.MaxRecordBytes * 2);
    }

    [Fact]
    public void RecipientForReject_RecipientKeyedByAddress_KeepsTheAddressOutOfTheRejectFile()
    {
        SuppressRows.RecipientForReject("someone@example.org").ShouldBeEmpty();
        SuppressRows.RecipientForReject("003000000000001").ShouldBe("003000000000001");
    }

    [Fact]
    public void TryRead_StrayQuoteInsideField_IsAnError() =>
        ReadAll("h\r\nab\"c\r\n")[1].Error.ShouldBe(CsvRecordReader.StrayQuote);

    [Fact]
    public void TryRead_ByteOrderMark_IsSkipped() =>
        ReadAll([0xEF, 0xBB, 0xBF, .. "email\r\n"u8])[0].Fields.ShouldBe(["email"]);

    private static List<CsvRecord> ReadAll(string text) => ReadAll(Encoding.UTF8.GetBytes(text));

    private static List<CsvRecord> ReadAll(byte[] bytes)
    {
        var reader = new CsvRecordReader(new MemoryStream(bytes));
        var records = new List<CsvRecord>();
        while (reader.TryRead(out var record))
        {
            records.Add(record);
        }

        return records;
    }
}
