using CsvHelper;

namespace CampaignEtl.Pipeline.Csv;

/// <summary>The one CSV dialect of every file the product writes: UTF-8 without BOM, comma, CRLF (RFC 4180), header row.</summary>
public static class CsvFormats
{
    public static CsvWriterOptions Writer { get; } = new()
    {
        Separator = ',',
        NewLine = "\r\n",
        WriteByteOrderMark = false,
        BufferSize = 64 * 1024,
    };

    public static CsvReaderOptions Reader { get; } = new()
    {
        Separator = ',',
        HasHeader = true,
        IncludeValuesInExceptions = false,
        BufferSize = 64 * 1024,
    };
}
