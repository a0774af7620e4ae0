using System.Globalization;
using System.Threading.Tasks.Dataflow;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CsvHelper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Export;

/// <summary>
/// Stage 2: for each recipient list, the people of its CRM selection whose consent for the list's one
/// opt-in is granted and who are not bounced, opted out, blocklisted or a converted lead, written as
/// one UTF-8 CSV with the technical fields. Streams through Dataflow: read (the CRM store: SQLite, or PostgreSQL) → classify →
/// write, every block bounded. Selected = exported + rejected + excluded, checked per list.
/// </summary>
public sealed class ExportStage(
    IOptions<ExportOptions> exportOptions,
    IOptions<RunOptions> runOptions,
    IOptions<DataOptions> dataOptions,
    ICrmExportSource crm,
    ILogger<ExportStage> logger) : IStage
{
    private readonly ExportOptions _options = exportOptions.Value;

    public StageName Name => StageName.Export;

    public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) =>
        crm.FindUnknownAsync(
            _options.RecipientLists.Select((list, i) => (
                string.Create(CultureInfo.InvariantCulture, $"Export:RecipientLists:{i}"),
                ToSelection(list),
                list.OptInId ?? 0)),
            cancellationToken);

    public async Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        var counts = new StageCounts();
        RemoveLeftoverSpills();
        foreach (var list in _options.RecipientLists)
        {
            var listCounts = await ExportListAsync(context, list, cancellationToken);
            counts.RowsIn += listCounts.RowsIn;
            counts.RowsOut += listCounts.RowsOut;
            counts.RowsRejected += listCounts.RowsRejected;
            counts.RowsExcluded += listCounts.RowsExcluded;
            foreach (var (key, value) in listCounts.Details)
            {
                counts.Add($"list:{list.Name}:{key}", value);
            }
        }

        if (StageFailedException.ForRejectRate(counts, runOptions.Value.MaxRejectRate) is { } tooManyRejects)
        {
            throw tooManyRejects;
        }

        return counts;
    }

    internal async Task<StageCounts> ExportListAsync(StageContext context, RecipientListOptions list, CancellationToken cancellationToken)
    {
        // Attribute columns in ordinal order of their names: configuration sources do not keep key order.
        var attributes = list.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).ToArray();
        var attributeNames = attributes.Select(a => a.Key).ToArray();
        var attributeFields = attributes.Select(a => a.Value).ToArray();
        var counterpart = new FileCounterpart("optimizely-campaign", list.ListId, list.OptInId);
        var runId = context.Run.RunId;
        await using var exportFile = context.DryRun ? null
            : context.RequireArchive().CreateFile(ExportFileNames.Export(list, runId, context.Attempt), "export", "outbound", counterpart);
        await using var rejectFile = context.DryRun ? null
            : context.RequireArchive().CreateFile(ExportFileNames.Rejects(list, runId, context.Attempt), "rejects", "internal", new FileCounterpart("crm"));
        await using var duplicatesFile = context.DryRun ? null
            : context.RequireArchive().CreateFile(ExportFileNames.DuplicateEmails(list, runId, context.Attempt), "duplicate-emails", "internal", new FileCounterpart("crm"));

        var blocklist = await crm.LoadBlocklistAsync(cancellationToken);
        var writer = new ExportBatchWriter(
            CsvWriter.Create(exportFile?.Content ?? Stream.Null, CsvFormats.Writer, leaveOpen: true),
            CsvWriter.Create(rejectFile?.Content ?? Stream.Null, CsvFormats.Writer, leaveOpen: true),
            CsvWriter.Create(duplicatesFile?.Content ?? Stream.Null, CsvFormats.Writer, leaveOpen: true),
            list,
            attributeNames,
            dataOptions.Value.TempFolder);
        await using (writer)
        {
            await PumpAsync(list, attributeFields, blocklist, writer, cancellationToken);
            await writer.CompleteAsync(cancellationToken);
        }

        var counts = writer.Counts;
        if (!counts.IsBalanced)
        {
            throw StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                $"list {list.Name}: selected {counts.RowsIn} <> exported {counts.RowsOut} + rejected {counts.RowsRejected} + excluded {counts.RowsExcluded}"));
        }

        if (exportFile is not null && rejectFile is not null && duplicatesFile is not null)
        {
            await exportFile.CommitAsync(counts.RowsOut, cancellationToken);
            await rejectFile.CommitAsync(counts.RowsRejected, cancellationToken);
            await duplicatesFile.CommitAsync(writer.DuplicateAddresses, cancellationToken);
        }

        if (writer.DuplicateAddresses > 0)
        {
            Log.DuplicateEmails(logger, list.Name, writer.DuplicateAddresses, counts.Details["duplicate-email-records"]);
        }

        Log.ListExported(logger, list.Name, list.ListId, counts.RowsIn, counts.RowsOut, counts.RowsRejected, counts.RowsExcluded);
        return counts;
    }

    private async Task PumpAsync(
        RecipientListOptions list, string[] attributeFields, Blocklist blocklist, ExportBatchWriter writer, CancellationToken cancellationToken)
    {
        // The classify and write blocks get no cancellation token on purpose: on a stop the readers
        // stop, and the batches already in flight are finished rather than dropped (the stage is then
        // interrupted).
        var bounded = new ExecutionDataflowBlockOptions { BoundedCapacity = _options.BoundedCapacity, MaxDegreeOfParallelism = 1 };
        var classify = new TransformBlock<ExportCandidate[], ClassifiedBatch>(batch => ClassifiedBatch.Classify(batch, blocklist), bounded);
        var write = new ActionBlock<ClassifiedBatch>(writer.Write, bounded);
        classify.LinkTo(write, new DataflowLinkOptions { PropagateCompletion = true });

        // With Export:ReadPartitions > 1 the selection is read by several readers at once, each on its
        // own connection and share of the people, merged back in recipient-id order, so the file is
        // the same whatever the number of readers.
        var partitions = _options.ReadPartitions;
        using var stopReaders = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // A failed write (a full disk) must reach the merge: otherwise classify's bounded buffers fill
        // and the merge waits in SendAsync for ever. Faulting classify makes it decline, and the
        // merge then reports the write's exception.
        _ = write.Completion.ContinueWith(
            failed => ((IDataflowBlock)classify).Fault(failed.Exception!.InnerException!),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var sources = new BufferBlock<ExportCandidate[]>[partitions];
        var readers = new Task[partitions];
        for (var i = 0; i < partitions; i++)
        {
            sources[i] = new BufferBlock<ExportCandidate[]>(new DataflowBlockOptions { BoundedCapacity = _options.BoundedCapacity });
            var partition = i;
            readers[i] = Task.Run(() => ReadPartitionAsync(list, attributeFields, partition, partitions, sources[partition], stopReaders.Token), CancellationToken.None);
        }

        try
        {
            await MergeAsync(sources, classify, cancellationToken);
            classify.Complete();
        }
        catch (Exception ex)
        {
            await stopReaders.CancelAsync();
            ((IDataflowBlock)classify).Fault(ex);
            try
            {
                await Task.WhenAll(readers.Append(write.Completion));
            }
            catch (Exception)
            {
                // The readers end cancelled and the fault we injected comes back here; the original exception is the one to report.
            }

            throw;
        }

        await Task.WhenAll(readers);
        await write.Completion;
    }

    /// <summary>One reader: its partition of the selection, in id order, in batches.</summary>
    private async Task ReadPartitionAsync(
        RecipientListOptions list, string[] attributeFields, int partition, int partitions, BufferBlock<ExportCandidate[]> target, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in crm.ReadBatchesAsync(ToSelection(list), list.OptInId!.Value, attributeFields, partition, partitions, _options.BatchSize, cancellationToken))
            {
                await SendAsync(target, batch, cancellationToken);
            }

            target.Complete();
        }
        catch (Exception ex)
        {
            ((IDataflowBlock)target).Fault(ex);
            throw;
        }
    }

    /// <summary>
    /// Merges the partitions' id-ordered streams into one id-ordered stream of batches. Holds at most
    /// one batch per partition beyond what the bounded blocks hold.
    /// </summary>
    private async Task MergeAsync(BufferBlock<ExportCandidate[]>[] sources, ITargetBlock<ExportCandidate[]> target, CancellationToken cancellationToken)
    {
        if (sources.Length == 1)
        {
            while (await ReceiveOrEndAsync(sources[0], cancellationToken) is { } whole)
            {
                await SendAsync(target, whole, cancellationToken);
            }

            return;
        }

        var heads = new ExportCandidate[]?[sources.Length];
        var positions = new int[sources.Length];
        var batchSize = _options.BatchSize;
        var batch = new List<ExportCandidate>(batchSize);
        while (true)
        {
            var next = -1;
            for (var i = 0; i < sources.Length; i++)
            {
                if (heads[i] is null || positions[i] == heads[i]!.Length)
                {
                    heads[i] = await ReceiveOrEndAsync(sources[i], cancellationToken);
                    positions[i] = 0;
                }

                if (heads[i] is { } head && (next < 0 || string.CompareOrdinal(head[positions[i]].PersonId, heads[next]![positions[next]].PersonId) < 0))
                {
                    next = i;
                }
            }

            if (next < 0)
            {
                break;
            }

            batch.Add(heads[next]![positions[next]++]);
            if (batch.Count == batchSize)
            {
                await SendAsync(target, [.. batch], cancellationToken);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await SendAsync(target, [.. batch], cancellationToken);
        }
    }

    /// <summary>The next batch of a partition, or null once it has ended; a failed reader's exception surfaces here.</summary>
    private static async Task<ExportCandidate[]?> ReceiveOrEndAsync(BufferBlock<ExportCandidate[]> source, CancellationToken cancellationToken)
    {
        while (await source.OutputAvailableAsync(cancellationToken))
        {
            if (source.TryReceive(out var batch) && batch.Length > 0)
            {
                return batch;
            }
        }

        await source.Completion;
        return null;
    }

    private static async Task SendAsync(ITargetBlock<ExportCandidate[]> target, ExportCandidate[] batch, CancellationToken cancellationToken)
    {
        if (!await target.SendAsync(batch, cancellationToken))
        {
            // Declined means the network faulted; its completion carries the reason.
            await target.Completion;
            throw new InvalidOperationException("The export pipeline stopped accepting batches.");
        }
    }

    /// <summary>
    /// A process killed mid-export leaves its duplicate-address spill (personal data) behind; the
    /// next export, under the same run lock, removes it.
    /// </summary>
    private void RemoveLeftoverSpills()
    {
        var folder = dataOptions.Value.TempFolder;
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var leftover in Directory.EnumerateDirectories(folder, "duplicates-*"))
        {
            Directory.Delete(leftover, recursive: true);
        }
    }

    private static ExportSelection ToSelection(RecipientListOptions list) =>
        new(list.Selection.MarketingLists, list.Selection.SavedFilters);
}
