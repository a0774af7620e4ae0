using System.Globalization;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CsvHelper;

namespace CampaignEtl.Pipeline.Export;

/// <summary>Writes classified batches to the export and reject files and keeps the counts (one thread: the writer block).</summary>
internal sealed class ExportBatchWriter : IAsyncDisposable
{
    private readonly CsvWriter _export;
    private readonly CsvWriter _rejects;
    private readonly CsvWriter _duplicates;
    private readonly DuplicateAddressFinder _sharedAddresses;
    private long _duplicateAddresses;
    private long _duplicateRecords;
    private readonly RecipientListOptions _list;
    private readonly string _optInId;
    private readonly long[] _excluded = new long[Enum.GetValues<ExportExclusion>().Length];
    private readonly Dictionary<string, long> _rejectReasons = new(StringComparer.Ordinal);
    private long _cancelled;

    public ExportBatchWriter(CsvWriter export, CsvWriter rejects, CsvWriter duplicates, RecipientListOptions list, string[] attributeNames, string tempFolder)
    {
        _sharedAddresses = new DuplicateAddressFinder(tempFolder);
        _export = export;
        _rejects = rejects;
        _duplicates = duplicates;
        _list = list;
        _optInId = list.OptInId!.Value.ToString(CultureInfo.InvariantCulture);
        _export.WriteHeader([.. ExportColumns.Technical, .. attributeNames]);
        _rejects.WriteHeader(ExportColumns.Rejects);
        _duplicates.WriteHeader(ExportColumns.DuplicateEmails);
    }

    public long DuplicateAddresses => _duplicateAddresses;

    public long Selected { get; private set; }

    public long Exported { get; private set; }

    public StageCounts Counts
    {
        get
        {
            var counts = new StageCounts { RowsIn = Selected, RowsOut = Exported };
            counts.Add("selected", Selected);
            counts.Add("exported", Exported);
            for (var i = 1; i < _excluded.Length; i++)
            {
                counts.RowsExcluded += _excluded[i];
                counts.Add("excluded:" + ((ExportExclusion)i).ToRuleName(), _excluded[i]);
            }

            foreach (var (reason, count) in _rejectReasons)
            {
                counts.RowsRejected += count;
                counts.Add("rejected:" + reason, count);
            }

            counts.Add("duplicate-email-addresses", _duplicateAddresses);
            counts.Add("duplicate-email-records", _duplicateRecords);
            if (_cancelled > 0)
            {
                counts.Add("dropped:cancelled", _cancelled);
            }

            return counts;
        }
    }

    public void Write(ClassifiedBatch batch)
    {
        try
        {
            for (var i = 0; i < batch.Candidates.Length; i++)
            {
                var candidate = batch.Candidates[i];
                var verdict = batch.Verdicts[i];
                Selected++;
                if (verdict.IsExcluded)
                {
                    _excluded[(int)verdict.Exclusion]++;
                }
                else if (verdict.IsRejected)
                {
                    WriteReject(candidate, verdict);
                }
                else
                {
                    WriteRow(candidate);
                    _sharedAddresses.Add(candidate.EmailNormalized!, candidate.PersonId);
                    Exported++;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Dataflow would drop the batch silently; counting it makes the balance check fail loudly.
            _cancelled += batch.Candidates.Length;
        }
    }

    /// <summary>Writes the duplicate-address report and flushes all three files.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        foreach (var (address, recipientIds) in _sharedAddresses.Duplicates())
        {
            _duplicates.WriteField(address);
            _duplicates.WriteField(recipientIds.Count.ToString(CultureInfo.InvariantCulture));
            _duplicates.WriteField(string.Join(' ', recipientIds));
            _duplicates.EndRecord();
            _duplicateAddresses++;
            _duplicateRecords += recipientIds.Count;
        }

        await _export.FlushAsync(cancellationToken);
        await _rejects.FlushAsync(cancellationToken);
        await _duplicates.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _sharedAddresses.Dispose();
        await _export.DisposeAsync();
        await _rejects.DisposeAsync();
        await _duplicates.DisposeAsync();
    }

    private void WriteRow(ExportCandidate candidate)
    {
        _export.WriteField(candidate.PersonId);
        _export.WriteField(candidate.Email!.Trim());
        _export.WriteField(_optInId);
        _export.WriteField(_list.Description);
        _export.WriteField(_list.MediaType);
        _export.WriteField(candidate.EntityType);
        _export.WriteField(candidate.PersonId);
        foreach (var value in candidate.Attributes)
        {
            _export.WriteField(value ?? string.Empty);
        }

        _export.EndRecord();
    }

    private void WriteReject(ExportCandidate candidate, Verdict verdict)
    {
        _rejectReasons[verdict.RejectReason!] = _rejectReasons.GetValueOrDefault(verdict.RejectReason!) + 1;
        _rejects.WriteField("crm:person");
        _rejects.WriteField(Selected.ToString(CultureInfo.InvariantCulture));
        _rejects.WriteField(candidate.EntityType);
        _rejects.WriteField(candidate.PersonId);
        _rejects.WriteField(verdict.RejectColumn);
        _rejects.WriteField(verdict.RejectReason);
        _rejects.WriteField(verdict.RejectDetail);
        _rejects.EndRecord();
    }
}
