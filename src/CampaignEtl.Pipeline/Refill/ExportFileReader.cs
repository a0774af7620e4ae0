using System.Globalization;
using System.Runtime.CompilerServices;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Runs;
using CsvHelper;

namespace CampaignEtl.Pipeline.Refill;

/// <summary>A batch of export rows on its way to addAll3Flat; <see cref="FirstRow"/> is the 1-based data row of its first recipient.</summary>
internal sealed record UploadBatch(long FirstRow, string[] RecipientIds, string[] Emails, string[] EntityTypes, string?[] FlatValues);

/// <summary>
/// Streams an archived CSV file (an export file or a refill result file) row by row with the
/// product's dialect; never holds the file. Checks the header and the field count of every row.
/// </summary>
internal sealed class ArchivedCsvReader : IAsyncDisposable
{
    private readonly CsvReader _reader;
    private readonly string _name;
    private bool _pending;

    private ArchivedCsvReader(CsvReader reader, string name, bool pending, string[] header)
    {
        _reader = reader;
        _name = name;
        _pending = pending;
        Header = header;
    }

    public string[] Header { get; }

    /// <summary>Data rows read so far.</summary>
    public long Row { get; private set; }

    /// <summary>Opens the file and checks that its header starts with <paramref name="expectedStart"/>.</summary>
    public static async Task<ArchivedCsvReader> OpenAsync(string path, string name, IReadOnlyList<string> expectedStart, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var reader = CsvReader.Create(stream, CsvFormats.Reader, leaveOpen: false);
        try
        {
            var pending = await reader.ReadAsync(cancellationToken);
            string[] header = reader.Headers is { } headers ? [.. headers] : [];
            if (header.Length == 0 && !pending)
            {
                // A header-only file: CsvHelper may not surface the header without a record; it has no rows to interpret.
                header = [.. expectedStart];
            }

            if (header.Length < expectedStart.Count || !header.Take(expectedStart.Count).SequenceEqual(expectedStart, StringComparer.Ordinal))
            {
                throw new StageFailedException($"{name}: the header is not '{string.Join(",", expectedStart)}...'; not a file this stage can read");
            }

            return new ArchivedCsvReader(reader, name, pending, header);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    /// <summary>The next row's fields, or null at the end.</summary>
    public async Task<string[]?> NextAsync(CancellationToken cancellationToken)
    {
        if (!_pending && (Row == 0 || !await _reader.ReadAsync(cancellationToken)))
        {
            _pending = false;
            return null;
        }

        _pending = false;
        Row++;
        if (_reader.FieldCount != Header.Length)
        {
            throw new StageFailedException(string.Create(CultureInfo.InvariantCulture,
                $"{_name} row {Row}: {_reader.FieldCount} fields where the header has {Header.Length}"));
        }

        var fields = new string[Header.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = _reader.GetString(i);
        }

        return fields;
    }

    /// <summary>The first column of every row (recipient ids), for the dry run's merge-join.</summary>
    public async IAsyncEnumerable<string> FirstColumnAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await NextAsync(cancellationToken) is { } row)
        {
            yield return row[0];
        }
    }

    /// <summary>Export rows in batches for addAll3Flat: attribute values flattened row-major, from the description column on.</summary>
    public async IAsyncEnumerable<UploadBatch> UploadBatchesAsync(int batchSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var attributes = Header.Length - RefillColumns.FirstAttribute;
        while (true)
        {
            var first = Row + 1;
            var ids = new List<string>(batchSize);
            var emails = new List<string>(batchSize);
            var types = new List<string>(batchSize);
            var flat = new List<string?>(batchSize * attributes);
            while (ids.Count < batchSize && await NextAsync(cancellationToken) is { } row)
            {
                ids.Add(row[RefillColumns.RecipientId]);
                emails.Add(row[RefillColumns.Email]);
                types.Add(row[RefillColumns.EntityType]);
                for (var i = RefillColumns.FirstAttribute; i < row.Length; i++)
                {
                    flat.Add(row[i]);
                }
            }

            if (ids.Count == 0)
            {
                yield break;
            }

            yield return new UploadBatch(first, [.. ids], [.. emails], [.. types], [.. flat]);
        }
    }

    public ValueTask DisposeAsync() => _reader.DisposeAsync();

    public static IReadOnlyList<string> ExportHeaderStart => ExportColumns.Technical;
}
