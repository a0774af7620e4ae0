using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Tasks.Dataflow;
using CampaignEtl.Crm.Feedback;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CsvHelper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Refill;

/// <summary>
/// Stage 3: uploads this run's archived export files into their recipient lists. Per list: guard
/// against an empty or shrunken export (all lists checked before any is cleared), <c>clear</c>, then
/// <c>addAll3Flat</c> in batches through Dataflow with the platform client's concurrency, one result
/// row per export row in the archive, the platform's suppression answers (codes 2, 3, 4) fed back to
/// the CRM, and <c>getCount</c> checked against the rows accepted. A re-run uploads the same archived
/// files (their SHA-256 checked against the journal); the CRM is never asked for the selection again.
/// </summary>
public sealed class RefillStage(
    IOptions<RefillOptions> refillOptions,
    IOptions<ExportOptions> exportOptions,
    IOptions<RunOptions> runOptions,
    IOptions<PlatformOptions> platformOptions,
    CrmDatabase crm,
    IPlatformClientFactory platform,
    TimeProvider timeProvider,
    ILogger<RefillStage> logger) : IStage
{
    /// <summary>Succeeded refills looked at to find a list's last one (newest first).</summary>
    private const int PreviousRefillsSearched = 200;

    private readonly RefillOptions _options = refillOptions.Value;

    public StageName Name => StageName.Refill;

    public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public async Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        if (context.DryRun && await context.RequireJournal().LastSucceededAttemptAsync(context.Run.RunId, StageName.Export, cancellationToken) is null)
        {
            // A dry run of a whole new run: its export wrote nothing, so there is no file to compare yet.
            Log.DryRunWithoutExport(logger, context.Run.RunId);
            var nothing = new StageCounts();
            nothing.Add("dry-run:no-archived-export", 1);
            return nothing;
        }

        var inputs = await FindInputsAsync(context, cancellationToken);
        var counts = new StageCounts();
        CheckShrinkGuard(context, inputs, counts);
        if (context.DryRun)
        {
            foreach (var input in inputs)
            {
                await DiffAsync(context, input, counts, cancellationToken);
            }

            return counts;
        }

        var client = platform.Create();
        await using (client)
        {
            try
            {
                foreach (var input in inputs)
                {
                    await RefillListAsync(context, client, input, counts, cancellationToken);
                }
            }
            finally
            {
                counts.PlatformCalls = client.Calls.Total;
                context.Progress.SetPlatformCalls(counts.PlatformCalls);
            }
        }

        if (!counts.IsBalanced)
        {
            throw StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                $"refill: read {counts.RowsIn} <> accepted {counts.RowsOut} + rejected {counts.RowsRejected} + excluded {counts.RowsExcluded}"));
        }

        if (StageFailedException.ForRejectRate(counts, runOptions.Value.MaxRejectRate) is { } tooManyRejects)
        {
            throw tooManyRejects;
        }

        return counts;
    }

    /// <summary>
    /// This run's export files, one per configured list, each checked against its SHA-256 in the journal,
    /// with the accepted count of the list's last successful refill.
    /// </summary>
    private async Task<IReadOnlyList<RefillInput>> FindInputsAsync(StageContext context, CancellationToken cancellationToken)
    {
        var journal = context.RequireJournal();
        var layout = context.RequireArchiveRoot();
        var runId = context.Run.RunId;
        var export = await journal.LastSucceededAttemptAsync(runId, StageName.Export, cancellationToken)
            ?? throw new StageFailedException(
                $"refill refused: export has not succeeded in run {runId}, so there is no archived export to upload; run 'run --run-id {runId} --stage export' first (or a whole run)");
        var files = await journal.ListFilesAsync(export.Id, cancellationToken);
        var previousRefills = await journal.ListSucceededAttemptsAsync(StageName.Refill, PreviousRefillsSearched, cancellationToken);
        var inputs = new List<RefillInput>();
        foreach (var list in exportOptions.Value.RecipientLists)
        {
            var name = ExportFileNames.Export(list, runId, export.Attempt);
            var file = files.FirstOrDefault(f => f.Kind == "export" && f.Name == name)
                ?? throw new StageFailedException(string.Create(CultureInfo.InvariantCulture,
                    $"refill refused: export attempt {export.Attempt} of run {runId} has no file {name} for recipient list {list.Name}; re-run export"));
            var path = layout.ToFullPath(file.RelativePath);
            await VerifyAsync(path, file, cancellationToken);
            var previous = FindPreviousRefill(previousRefills, list);
            inputs.Add(new RefillInput(list, file, path, file.Rows ?? await CsvRowCounter.CountDataRowsAsync(path, cancellationToken), previous));
        }

        return inputs;
    }

    /// <summary>A re-run must upload exactly what was archived: a file changed since is refused.</summary>
    private static async Task VerifyAsync(string path, ArchivedFileRecord file, CancellationToken cancellationToken)
    {
        string sha;
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StageFailedException($"refill refused: the archived export file {file.RelativePath} cannot be read ({ex.GetType().Name})");
        }

        if (!string.Equals(sha, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new StageFailedException(
                $"refill refused: the archived export file {file.RelativePath} has changed since it was archived (SHA-256 {sha}, the journal has {file.Sha256}); run audit verify, then re-run export");
        }
    }

    private static PreviousRefill? FindPreviousRefill(IReadOnlyList<AttemptRecord> refills, RecipientListOptions list)
    {
        var key = AcceptedKey(list);
        foreach (var attempt in refills)
        {
            if (attempt.CountsJson is not { Length: > 0 } json)
            {
                continue;
            }

            var details = JsonSerializer.Deserialize<Dictionary<string, long>>(json);
            if (details is not null && details.TryGetValue(key, out var accepted))
            {
                return new PreviousRefill(attempt, accepted);
            }
        }

        return null;
    }

    /// <summary>
    /// Before any list is cleared: an empty export, or one smaller than the list's last successful refill
    /// accepted by more than Refill:MaxShrinkShare, stops the whole stage (a broken selection must not
    /// empty a list) unless --allow-shrink. A dry run reports what the guard would do and goes on.
    /// </summary>
    private void CheckShrinkGuard(StageContext context, IReadOnlyList<RefillInput> inputs, StageCounts counts)
    {
        var problems = new List<string>();
        foreach (var input in inputs)
        {
            var list = input.List;
            string? problem = null;
            if (input.Rows == 0)
            {
                problem = string.Create(CultureInfo.InvariantCulture,
                    $"recipient list {list.Name} ({list.ListId}): the export has 0 rows{(input.Previous is { } p ? $", the last successful refill accepted {p.Accepted}" : string.Empty)}");
            }
            else if (input.Previous is { } previous && input.Rows < previous.Accepted * (1 - _options.MaxShrinkShare))
            {
                problem = string.Create(CultureInfo.InvariantCulture,
                    $"recipient list {list.Name} ({list.ListId}): the export has {input.Rows} rows, the last successful refill (run {previous.Attempt.RunId}) accepted {previous.Accepted}: a shrink of {1 - ((double)input.Rows / previous.Accepted):P1}, more than Refill:MaxShrinkShare = {_options.MaxShrinkShare:P1}");
            }

            if (problem is null)
            {
                continue;
            }

            Log.ShrinkGuard(logger, list.Name, problem + (context.Overrides.AllowShrink ? $" (allowed by {RunOverrides.AllowShrinkFlag})" : string.Empty));
            counts.Add(Prefix(list) + "shrink-guard", 1);
            problems.Add(problem);
        }

        if (problems.Count > 0 && !context.Overrides.AllowShrink && !context.DryRun)
        {
            throw new StageFailedException(
                $"refill refused before any list was cleared: {string.Join("; ", problems)}; check the selection, or pass {RunOverrides.AllowShrinkFlag} to refill anyway (recorded in the journal)");
        }
    }

    /// <summary>
    /// The dry run: tonight's export against the export the list's last successful refill uploaded (its
    /// result file has one row per row of that export, in the same recipient-id order). No platform
    /// client, no CRM writes, no archive.
    /// </summary>
    private async Task DiffAsync(StageContext context, RefillInput input, StageCounts counts, CancellationToken cancellationToken)
    {
        var list = input.List;
        var prefix = Prefix(list);
        string previousName = "(no earlier refill)";
        ListDiffCounts diff;
        await using (var current = await ArchivedCsvReader.OpenAsync(input.Path, input.File.Name, ExportColumns.Technical, cancellationToken))
        {
            var previousFile = await FindPreviousResultsAsync(context, input, cancellationToken);
            if (previousFile is null)
            {
                diff = await ListDiff.CompareAsync(current.FirstColumnAsync(cancellationToken), AsyncEnumerable.Empty<string>(), cancellationToken);
                counts.Add(prefix + "previous-missing", input.Previous is null ? 0 : 1);
            }
            else
            {
                previousName = previousFile.Name;
                await using var previous = await ArchivedCsvReader.OpenAsync(
                    context.RequireArchiveRoot().ToFullPath(previousFile.RelativePath), previousFile.Name, RefillColumns.Results, cancellationToken);
                diff = await ListDiff.CompareAsync(current.FirstColumnAsync(cancellationToken), previous.FirstColumnAsync(cancellationToken), cancellationToken);
            }

            counts.RowsIn += current.Row;
            counts.RowsExcluded += current.Row;
            counts.Add(prefix + "in", current.Row);
            counts.Add(prefix + "excluded:dry-run", current.Row);
        }

        counts.Add(prefix + "added", diff.Added);
        counts.Add(prefix + "removed", diff.Removed);
        counts.Add(prefix + "unchanged", diff.Unchanged);
        Log.DryRunDiff(logger, list.Name, list.ListId, diff.Added, diff.Removed, diff.Unchanged, previousName);
    }

    private static async Task<ArchivedFileRecord?> FindPreviousResultsAsync(StageContext context, RefillInput input, CancellationToken cancellationToken)
    {
        if (input.Previous is not { } previous)
        {
            return null;
        }

        var files = await context.RequireJournal().ListFilesAsync(previous.Attempt.Id, cancellationToken);
        var prefix = RefillFileNames.ResultsPrefix(input.List);
        var file = files.FirstOrDefault(f => f.Kind == RefillFileNames.ResultsKind && f.Name.StartsWith(prefix, StringComparison.Ordinal));
        return file is not null && File.Exists(context.RequireArchiveRoot().ToFullPath(file.RelativePath)) ? file : null;
    }

    private async Task RefillListAsync(StageContext context, IPlatformClient client, RefillInput input, StageCounts counts, CancellationToken cancellationToken)
    {
        var list = input.List;
        var archive = context.RequireArchive();
        var runId = context.Run.RunId;
        var counterpart = new FileCounterpart("optimizely-campaign", list.ListId, list.OptInId);
        await using var resultFile = archive.CreateFile(RefillFileNames.Results(list, runId, context.Attempt), RefillFileNames.ResultsKind, "internal", counterpart);
        await using var rejectFile = archive.CreateFile(RefillFileNames.Rejects(list, runId, context.Attempt), RefillFileNames.RejectsKind, "internal", counterpart);
        var writer = new RefillResultWriter(
            CsvWriter.Create(resultFile.Content, CsvFormats.Writer, leaveOpen: true),
            CsvWriter.Create(rejectFile.Content, CsvFormats.Writer, leaveOpen: true),
            input.File.Name);
        await using (writer)
        {
            await using var reader = await ArchivedCsvReader.OpenAsync(input.Path, input.File.Name, ExportColumns.Technical, cancellationToken);
            string[] attributeNames = [.. reader.Header.Skip(RefillColumns.FirstAttribute)];
            await client.Recipients.ClearAsync(list.ListId, cancellationToken);
            await PumpAsync(client, list, reader, writer, attributeNames, cancellationToken);
            await writer.CompleteAsync(cancellationToken);
        }

        // A stop mid-list leaves batches without an answer: the attempt is interrupted, not failed on its counts.
        cancellationToken.ThrowIfCancellationRequested();
        var prefix = Prefix(list);
        if (writer.RowsIn != input.Rows || writer.RowsIn != writer.Accepted + writer.Rejected + writer.Excluded || writer.Cancelled > 0)
        {
            throw StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                $"list {list.Name}: export file rows {input.Rows}, answered {writer.RowsIn} = accepted {writer.Accepted} + rejected {writer.Rejected} + excluded {writer.Excluded}, unanswered {writer.Cancelled}"));
        }

        await resultFile.CommitAsync(writer.RowsIn, cancellationToken);
        await rejectFile.CommitAsync(writer.Rejected, cancellationToken);
        counts.RowsIn += writer.RowsIn;
        counts.RowsOut += writer.Accepted;
        counts.RowsRejected += writer.Rejected;
        counts.RowsExcluded += writer.Excluded;
        writer.AddTo(counts, prefix);

        if (writer.Excluded > 0)
        {
            await FeedBackAsync(context, input, resultFile.RelativePath, counts, cancellationToken);
        }

        var platformCount = await client.Recipients.GetCountAsync(list.ListId, 0, cancellationToken);
        counts.Add(prefix + "platform-count", platformCount);
        Log.ListRefilled(logger, list.Name, list.ListId, writer.RowsIn, writer.Accepted, writer.Rejected, writer.Excluded, platformCount);
        if (platformCount != writer.Accepted)
        {
            throw new StageFailedException(string.Create(CultureInfo.InvariantCulture,
                $"recipient list {list.Name} ({list.ListId}): the platform counts {platformCount} recipients after the refill, but {writer.Accepted} were accepted; re-run refill"));
        }
    }

    /// <summary>
    /// read (CsvHelper, streaming) → upload (addAll3Flat, as many at once as the platform client allows,
    /// answers kept in file order) → write (result and reject files), every block bounded.
    /// </summary>
    private async Task PumpAsync(
        IPlatformClient client, RecipientListOptions list, ArchivedCsvReader reader, RefillResultWriter writer, string[] attributeNames, CancellationToken cancellationToken)
    {
        var parallel = Math.Max(1, platformOptions.Value.MaxConcurrency);
        var upload = new TransformBlock<UploadBatch, UploadedBatch>(
            batch => UploadAsync(client, list, attributeNames, batch, cancellationToken),
            new ExecutionDataflowBlockOptions
            {
                MaxDegreeOfParallelism = parallel,
                // Room for every call in flight, or the bound would cap the concurrency.
                BoundedCapacity = Math.Max(_options.BoundedCapacity, parallel),
                EnsureOrdered = true,
            });
        var write = new ActionBlock<UploadedBatch>(writer.Write, new ExecutionDataflowBlockOptions { BoundedCapacity = _options.BoundedCapacity, MaxDegreeOfParallelism = 1 });
        upload.LinkTo(write, new DataflowLinkOptions { PropagateCompletion = true });

        // A failed write (a full disk) must reach the reader: otherwise upload's bounded buffer fills and
        // SendAsync waits for ever. Faulting upload makes it decline, and the reader reports the write's exception.
        _ = write.Completion.ContinueWith(
            failed => ((IDataflowBlock)upload).Fault(failed.Exception!.InnerException!),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var batch in reader.UploadBatchesAsync(_options.BatchSize, cancellationToken))
            {
                if (!await upload.SendAsync(batch, cancellationToken))
                {
                    // Declined means the network faulted; its completion carries the reason.
                    await upload.Completion;
                    await write.Completion;
                    throw new InvalidOperationException("The refill pipeline stopped accepting batches.");
                }
            }

            upload.Complete();
        }
        catch (Exception ex)
        {
            ((IDataflowBlock)upload).Fault(ex);
            try
            {
                await write.Completion;
            }
            catch (Exception)
            {
                // The fault we injected, or the block's own, comes back here; the first exception is the one to report.
            }

            throw;
        }

        await write.Completion;
    }

    private static async Task<UploadedBatch> UploadAsync(
        IPlatformClient client, RecipientListOptions list, string[] attributeNames, UploadBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            var codes = await client.Recipients.AddAll3FlatAsync(
                list.ListId, list.OptInId!.Value, batch.RecipientIds, batch.Emails, attributeNames, batch.FlatValues, cancellationToken);
            return new UploadedBatch(batch, codes);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Dataflow would drop the batch silently on an OperationCanceledException; the writer counts it instead.
            return new UploadedBatch(batch, null);
        }
        catch (OperationCanceledException ex)
        {
            // Not our stop (a timeout inside the client): a real failure, which must fault the block, not vanish.
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"addAll3Flat for list {list.ListId}, rows {batch.FirstRow}..{batch.FirstRow + batch.RecipientIds.Length - 1}, was cancelled without a stop request"), ex);
        }
    }

    /// <summary>
    /// Codes 2, 3 and 4 into the CRM, from the committed result file (its lines are the lineage) read in
    /// step with the export file (which has the addresses), in batches of one transaction each.
    /// </summary>
    private async Task FeedBackAsync(StageContext context, RefillInput input, string resultRelativePath, StageCounts counts, CancellationToken cancellationToken)
    {
        var list = input.List;
        var feedback = new PlatformFeedbackWriter(crm, timeProvider);
        var source = new FeedbackSource(context.Run.RunId, resultRelativePath);
        var resultName = Path.GetFileName(resultRelativePath);
        await using var export = await ArchivedCsvReader.OpenAsync(input.Path, input.File.Name, ExportColumns.Technical, cancellationToken);
        await using var results = await ArchivedCsvReader.OpenAsync(context.RequireArchiveRoot().ToFullPath(resultRelativePath), resultName, RefillColumns.Results, cancellationToken);
        var batch = new List<PlatformFeedback>(_options.BatchSize);
        long changed = 0, unchanged = 0, unknown = 0;
        async Task FlushAsync()
        {
            var outcome = await feedback.ApplyAsync(batch, source, cancellationToken);
            changed += outcome.Changed;
            unchanged += outcome.Unchanged;
            unknown += outcome.UnknownPerson;
            batch.Clear();
        }

        while (await results.NextAsync(cancellationToken) is { } result)
        {
            var row = await export.NextAsync(cancellationToken);
            if (row is null || row[RefillColumns.RecipientId] != result[0])
            {
                throw new StageFailedException(string.Create(CultureInfo.InvariantCulture,
                    $"{resultName} row {results.Row} does not match row {export.Row} of {input.File.Name}"));
            }

            var code = int.Parse(result[1], NumberStyles.None, CultureInfo.InvariantCulture);
            if (code is (int)PlatformFeedbackKind.Unsubscribed or (int)PlatformFeedbackKind.Blocklisted or (int)PlatformFeedbackKind.BounceLimit)
            {
                // Line in the result file: the header is line 1 and its fields never hold line breaks.
                batch.Add(new PlatformFeedback(result[0], row[RefillColumns.Email], (PlatformFeedbackKind)code, list.OptInId!.Value, results.Row + 1));
                if (batch.Count == _options.BatchSize)
                {
                    await FlushAsync();
                }
            }
        }

        if (batch.Count > 0)
        {
            await FlushAsync();
        }

        var prefix = Prefix(list);
        counts.Add(prefix + "crm-feedback:changed", changed);
        counts.Add(prefix + "crm-feedback:unchanged", unchanged);
        counts.Add(prefix + "crm-feedback:unknown-person", unknown);
        Log.Feedback(logger, list.Name, changed, unchanged, unknown);
    }

    private static string Prefix(RecipientListOptions list) => $"list:{list.Name}:";

    /// <summary>The per-list key the shrink guard reads back from the journal's counts of a succeeded refill.</summary>
    public static string AcceptedKey(RecipientListOptions list) => Prefix(list) + "accepted";

    private sealed record PreviousRefill(AttemptRecord Attempt, long Accepted);

    private sealed record RefillInput(RecipientListOptions List, ArchivedFileRecord File, string Path, long Rows, PreviousRefill? Previous);
}
