using System.Globalization;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Platform;
using CsvHelper;

namespace CampaignEtl.Pipeline.Refill;

/// <summary>A batch with the platform's answer, one code per recipient; null codes: the stop came before the answer.</summary>
internal sealed record UploadedBatch(UploadBatch Batch, IReadOnlyList<RecipientResultCode>? Codes);

/// <summary>
/// Writes the result file (one row per export row, in file order) and the reject file, and keeps the
/// counts. Runs on one thread: the write block.
/// </summary>
internal sealed class RefillResultWriter : IAsyncDisposable
{
    private readonly CsvWriter _results;
    private readonly CsvWriter _rejects;
    private readonly string _exportFile;
    private readonly long[] _codes = new long[9];

    public RefillResultWriter(CsvWriter results, CsvWriter rejects, string exportFile)
    {
        _results = results;
        _rejects = rejects;
        _exportFile = exportFile;
        _results.WriteHeader(RefillColumns.Results);
        _rejects.WriteHeader(ExportColumns.Rejects);
    }

    public long RowsIn { get; private set; }

    public long Accepted { get; private set; }

    public long Rejected { get; private set; }

    public long Excluded { get; private set; }

    /// <summary>Rows of batches whose answer never came because of a stop; they make the balance fail loudly.</summary>
    public long Cancelled { get; private set; }

    public void Write(UploadedBatch uploaded)
    {
        var batch = uploaded.Batch;
        if (uploaded.Codes is not { } codes)
        {
            Cancelled += batch.RecipientIds.Length;
            return;
        }

        if (codes.Count != batch.RecipientIds.Length)
        {
            throw new Runs.StageFailedException(string.Create(CultureInfo.InvariantCulture,
                $"{_exportFile} rows {batch.FirstRow}..: the platform answered {codes.Count} codes for {batch.RecipientIds.Length} recipients"));
        }

        for (var i = 0; i < codes.Count; i++)
        {
            var code = codes[i];
            var meaning = RecipientCodes.Meaning(code);
            RowsIn++;
            _codes[Math.Clamp((int)code, 0, 8)]++;
            _results.WriteField(batch.RecipientIds[i]);
            _results.WriteField(((int)code).ToString(CultureInfo.InvariantCulture));
            _results.WriteField(meaning);
            _results.EndRecord();
            switch (RecipientCodes.Outcome(code))
            {
                case RefillOutcome.Accepted:
                    Accepted++;
                    break;
                case RefillOutcome.Excluded:
                    Excluded++;
                    break;
                default:
                    Rejected++;
                    WriteReject(batch.FirstRow + i, batch.EntityTypes[i], batch.RecipientIds[i], code, meaning);
                    break;
            }
        }
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await _results.FlushAsync(cancellationToken);
        await _rejects.FlushAsync(cancellationToken);
    }

    /// <summary>Per list: in, accepted, rejected, excluded and every code that occurred (code-8 stands for any unknown code).</summary>
    public void AddTo(StageCounts counts, string prefix)
    {
        counts.Add(prefix + "in", RowsIn);
        counts.Add(prefix + "accepted", Accepted);
        counts.Add(prefix + "rejected", Rejected);
        counts.Add(prefix + "excluded", Excluded);
        for (var code = 0; code < _codes.Length; code++)
        {
            if (_codes[code] > 0)
            {
                counts.Add(prefix + "code-" + code.ToString(CultureInfo.InvariantCulture), _codes[code]);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _results.DisposeAsync();
        await _rejects.DisposeAsync();
    }

    private void WriteReject(long row, string entityType, string recipientId, RecipientResultCode code, string meaning)
    {
        _rejects.WriteField("platform:addAll3Flat");
        _rejects.WriteField(row.ToString(CultureInfo.InvariantCulture));
        _rejects.WriteField(entityType);
        _rejects.WriteField(recipientId);
        _rejects.WriteField(code == RecipientResultCode.ValidationFailed ? "email" : "recipient-id");
        _rejects.WriteField(meaning);
        _rejects.WriteField(string.Create(CultureInfo.InvariantCulture, $"the platform answered code {(int)code} ({meaning}) for row {row} of {_exportFile}"));
        _rejects.EndRecord();
    }
}
