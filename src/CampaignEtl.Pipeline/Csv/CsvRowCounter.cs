using CsvHelper;

namespace CampaignEtl.Pipeline.Csv;

/// <summary>Counts the data records of an archived CSV file (header excluded, quoted line breaks understood).</summary>
public static class CsvRowCounter
{
    public static async Task<long> CountDataRowsAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var reader = CsvReader.Create(stream, CsvFormats.Reader, leaveOpen: false);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
        }

        return rows;
    }
}
