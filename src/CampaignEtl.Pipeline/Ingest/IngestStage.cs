using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Tasks.Dataflow;
using CampaignEtl.Crm.Responses;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Pipeline.Suppress;
using CampaignEtl.Platform;
using CampaignEtl.Transfer;
using CsvHelper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Ingest;

/// <summary>
/// Stage 4: the platform's daily response exports on the drop. Each file matching Ingest:FilePattern, in send-date
/// order, is downloaded to a temp file and hashed; the ingest ledger (name and SHA-256) skips a file already ingested,
/// refuses one whose name was ingested with other content, and resumes one left partial. The file is copied into the
/// archive and the archived copy parsed (so rejects name it and a line), header-driven, streamed, in batches of
/// Ingest:BatchSize events, each one CRM transaction that also moves the file's ledger entry (see
/// <see cref="ResponseWriter"/>). A file that cannot be used fails the stage at the end; the other files still go in.
/// Per file, rows read = applied + ignored + rejected, checked.
/// </summary>
public sealed class IngestStage(
    IOptions<IngestOptions> options,
    IOptions<ExportOptions> exportOptions,
    IOptions<RunOptions> runOptions,
    IOptions<DataOptions> dataOptions,
    CrmDatabase crm,
    IFileDrop drop,
    IPlatformClientFactory platform,
    TimeProvider time,
    ILogger<IngestStage> logger) : IStage
{
    /// <summary>The manifest kind of an archived response export.</summary>
    public const string ArchiveKind = "platform-responses";

    private static readonly FileCounterpart Platform = new("optimizely-campaign");

    /// <summary>The counter of applied events per event type (indexed by <see cref="ResponseEventType"/>).</summary>
    private static readonly string[] AppliedKeys = [.. Enum.GetValues<ResponseEventType>().Select(t => "applied:" + t.ToString().ToLowerInvariant())];

    private readonly IngestOptions _options = options.Value;

    public StageName Name => StageName.Ingest;

    public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public async Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var counts = new StageCounts();
        var suffix = string.Create(CultureInfo.InvariantCulture, $"{context.Run.RunId}_attempt-{context.Attempt}.csv");
        var archive = context.DryRun ? null : context.RequireArchive();
        await using var rejectsFile = archive?.CreateFile("rejects_ingest_" + suffix, "rejects", "internal", new FileCounterpart("crm"));
        var rejects = CsvWriter.Create(rejectsFile?.Content ?? Stream.Null, CsvFormats.Writer, leaveOpen: true);
        StageFailedException? failure = null;
        await using (rejects)
        {
            rejects.WriteHeader(ExportColumns.Rejects);
            await WarnIfStaleAsync(context, counts, cancellationToken);

            var temp = Path.Combine(dataOptions.Value.TempFolder, "ingest", Guid.NewGuid().ToString("N"));
            var run = new RunState(context, counts, rejects, temp, _options.EffectiveEventTypes());
            await using (var writers = new WriterSlot(crm, threshold => Settings(context, threshold)))
            {
                run.Writers = writers;
                try
                {
                    Directory.CreateDirectory(temp);
                    var listed = await drop.ListAsync(null, cancellationToken);
                    var names = ResponseFileNames.Select(listed.Select(e => e.Name), _options.FilePattern);
                    Log.FilesFound(logger, names.Count, listed.Count, _options.FilePattern);
                    foreach (var name in names)
                    {
                        await IngestFileAsync(run, name, cancellationToken);
                    }

                    foreach (var (change, value) in writers.Changes())
                    {
                        counts.Add("changed:" + change, value);
                    }
                }
                finally
                {
                    if (run.Client is { } client)
                    {
                        counts.PlatformCalls = client.Calls.Total;
                        context.Progress.SetPlatformCalls(counts.PlatformCalls);
                        await client.DisposeAsync();
                    }

                    DeleteTemp(temp);
                }
            }

            if (!counts.IsBalanced)
            {
                failure = StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                    $"ingest: read {counts.RowsIn} <> applied {counts.RowsOut} + rejected {counts.RowsRejected} + ignored {counts.RowsExcluded}"));
            }

            if (failure is null && run.Failures.Count > 0)
            {
                failure = new StageFailedException(run.Failures.Count == 1
                    ? run.Failures[0]
                    : string.Create(CultureInfo.InvariantCulture, $"{run.Failures.Count} files unusable: {string.Join("; ", run.Failures)}"));
            }

            failure ??= StageFailedException.ForRejectRate(counts, runOptions.Value.MaxRejectRate);
            await rejects.FlushAsync(cancellationToken);
        }

        // After the CSV writer is gone (disposing flushes into the file). The rejects are archived even when the
        // attempt fails: they are what the operator needs to see.
        if (rejectsFile is not null)
        {
            await rejectsFile.CommitAsync(counts.RowsRejected, cancellationToken);
        }

        if (failure is not null)
        {
            throw failure;
        }

        return counts;
    }

    private ResponseSettings Settings(StageContext context, int softBounceThreshold)
    {
        var optIns = new Dictionary<long, long>();
        foreach (var list in exportOptions.Value.RecipientLists.Where(l => l.OptInId is not null))
        {
            optIns[list.ListId] = list.OptInId!.Value;
        }

        return new ResponseSettings(
            context.Run.RunId,
            time.GetUtcNow(),
            _options.EffectiveStatusLabels(),
            _options.EffectiveStatusPrecedence(),
            _options.CreateMissingStatuses,
            _options.ListBasedUnsubscribes,
            optIns,
            softBounceThreshold,
            _options.Activity?.StatusField,
            _options.Activity?.ClickedUrlField);
    }

    /// <summary>The platform keeps response data 14 to 30 days: a long gap since the last successful ingest may have lost events.</summary>
    private async Task WarnIfStaleAsync(StageContext context, StageCounts counts, CancellationToken ct)
    {
        if (context.Journal is not { } journal)
        {
            return;
        }

        var last = await journal.ListSucceededAttemptsAsync(StageName.Ingest, 1, ct);
        if (last.Count == 0 || last[0].EndedAt is not { } ended
            || !DateTimeOffset.TryParse(ended, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var endedAt))
        {
            return;
        }

        var age = time.GetUtcNow() - endedAt;
        if (age > _options.StaleAfter)
        {
            var days = (long)age.TotalDays;
            Log.Stale(logger, days, _options.StaleAfter.TotalDays);
            counts.Add("days-since-last-ingest", days);
        }
    }

    // ------------------------------------------------------------------ one file

    private async Task IngestFileAsync(RunState run, string name, CancellationToken ct)
    {
        var tempPath = Path.Combine(run.TempFolder, name);
        try
        {
            try
            {
                await drop.DownloadAsync(name, tempPath, ct);
            }
            catch (FileDropException ex)
            {
                Fail(run, name, $"{name}: the download failed ({ex.Message})");
                return;
            }

            var sha = await Sha256Async(tempPath, ct);
            var ledger = await ResponseWriter.FindFileAsync(crm, name, ct);
            if (ledger is not null && !string.Equals(ledger.Sha256, sha, StringComparison.OrdinalIgnoreCase))
            {
                Fail(run, name, $"{name} was ingested before with other content (sha256 {Short(ledger.Sha256)}…, now {Short(sha)}…); the platform never rewrites a file — check the drop");
                return;
            }

            if (ledger is { State: IngestFileState.Complete })
            {
                run.Counts.Add("files-already-ingested", 1);
                Log.AlreadyIngested(logger, name);
                await MoveToProcessedAsync(run, name, ct);
                return;
            }

            var resumeAfter = ledger is { State: IngestFileState.Partial } ? ledger.LastLine : 0;
            string path;
            string source;
            if (run.Context.Archive is { } archive)
            {
                // Archived first and the archived copy parsed: every reject names an archived file and line.
                await using var copy = archive.CreateFile(name, ArchiveKind, "inbound", Platform with { RemotePath = name });
                await using (var input = new FileStream(tempPath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
                {
                    await input.CopyToAsync(copy.Content, ct);
                }

                var archived = await copy.CommitAsync(null, ct);
                if (!string.Equals(archived.Sha256, sha, StringComparison.OrdinalIgnoreCase))
                {
                    throw new StageFailedException($"{copy.RelativePath}: the archived copy's SHA-256 differs from the downloaded file's; check the disk");
                }

                source = copy.RelativePath;
                path = archive.Layout.ToFullPath(source);
                File.Delete(tempPath);
            }
            else
            {
                (path, source) = (tempPath, name);
            }

            if (await ParseAndApplyAsync(run, name, sha, path, source, resumeAfter, ct))
            {
                run.Counts.Add("files-ingested", 1);
                await MoveToProcessedAsync(run, name, ct);
            }
        }
        finally
        {
            File.Delete(tempPath);
        }
    }

    private async Task MoveToProcessedAsync(RunState run, string name, CancellationToken ct)
    {
        if (_options.MoveToProcessed && !run.Context.DryRun)
        {
            await drop.MoveToProcessedAsync(name, ct);
            run.Counts.Add("files-moved-to-processed", 1);
        }
    }

    /// <summary>
    /// Parses one file and applies its events in batches; false when the file is unusable (the reason is then in
    /// <see cref="RunState.Failures"/>). Lines up to <paramref name="resumeAfter"/> were applied by an earlier attempt.
    /// The file is read, parsed and keyed (<see cref="ResponseBatch"/>) on another thread, at most two batches ahead,
    /// while this one applies the batches in order: parsing costs no database time, so it need not wait for it.
    /// </summary>
    private async Task<bool> ParseAndApplyAsync(RunState run, string name, string sha, string path, string source, long resumeAfter, CancellationToken ct)
    {
        if (new FileInfo(path).Length == 0)
        {
            return Fail(run, name, $"{source}: the file is empty (0 bytes; an export has at least its header line)");
        }

        var tally = new FileTally(source);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        if (StartsWithByteOrderMark(stream))
        {
            return Fail(run, name, $"{source}: line 1: the file starts with a UTF-8 byte-order mark, which the platform's export never has (re-saved by an editor?)");
        }

        var reader = new CsvRecordReader(stream);
        ResponseColumnMap? map;
        CsvRecord header;
        try
        {
            if (!reader.TryRead(out header) || header.Fields is null)
            {
                return Fail(run, name, $"{source}: line 1: the header cannot be read ({header.Error ?? "no header"})");
            }

            map = ResponseColumnMap.TryCreate(header.Fields, _options.Columns, run.EventTypes, out var problem);
            if (map is null)
            {
                return Fail(run, name, $"{source}: line 1: {problem}");
            }
        }
        catch (CsvQuoteException ex)
        {
            return Fail(run, name, string.Create(CultureInfo.InvariantCulture, $"{source}: line {ex.Line}: {ex.Message}"));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var chunks = new BufferBlock<ParsedChunk>(new DataflowBlockOptions { BoundedCapacity = 2 });
        // Applied batches go back to the reading side to be filled again (at most the two queued, the one applied and
        // the one being filled exist at once).
        var emptied = new ConcurrentQueue<ResponseBatch>();
        var parsing = Task.Run(() => ParseAsync(reader, map, header.Line, name, sha, source, resumeAfter, chunks, emptied, stop.Token), stop.Token);
        try
        {
            while (await chunks.OutputAvailableAsync(ct))
            {
                var chunk = await chunks.ReceiveAsync(ct);
                tally.Read += chunk.Read;
                if (chunk.AlreadyIngested > 0)
                {
                    // Applied (or rejected) by the attempt that left the file partial.
                    tally.Ignored += chunk.AlreadyIngested;
                    run.Counts.Add("ignored:already-ingested", chunk.AlreadyIngested);
                }

                foreach (var problem in chunk.Problems)
                {
                    await RejectAsync(run, tally, problem.Line, problem.RecipientId, problem.Column, problem.Reason, problem.Detail, ct);
                }

                if (chunk.Quote is { } quote)
                {
                    // Batches before the quote may have committed (the ledger says partial, resumable); the pending one is not applied.
                    tally.Discarded = chunk.Discarded;
                    Finish(run, tally, resumeAfter);
                    return Fail(run, name, string.Create(CultureInfo.InvariantCulture, $"{source}: line {quote.Line}: {quote.Message}"));
                }

                if (chunk.Batch is { } batch)
                {
                    await ApplyAsync(run, tally, batch, chunk.Progress!, ct);
                    batch.Clear();
                    emptied.Enqueue(batch);
                }
            }
        }
        finally
        {
            // Stops the reader when this side ends early (a failure); its own exception, if any, is the one reported.
            await stop.CancelAsync();
            await parsing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        await parsing;
        Finish(run, tally, resumeAfter);
        return true;
    }

    /// <summary>
    /// The reading side of <see cref="ParseAndApplyAsync"/>: the file's rows after the header, in order, as chunks of the
    /// rows that cannot be used followed by a full batch (the last chunk ends the file, also when its batch is empty),
    /// or by the quote that makes the rest of the file unreadable.
    /// </summary>
    private async Task ParseAsync(
        CsvRecordReader reader, ResponseColumnMap map, long headerLine, string name, string sha, string source, long resumeAfter,
        BufferBlock<ParsedChunk> chunks, ConcurrentQueue<ResponseBatch> emptied, CancellationToken ct)
    {
        try
        {
            var chunk = new ParsedChunk();
            var batch = NextBatch();
            var lastLine = headerLine;
            try
            {
                while (reader.TryRead(out var record))
                {
                    ct.ThrowIfCancellationRequested();
                    chunk.Read++;
                    lastLine = record.Line;
                    if (record.Line <= resumeAfter)
                    {
                        chunk.AlreadyIngested++;
                        continue;
                    }

                    if (record.Fields is null)
                    {
                        chunk.Problems.Add(new RowProblem(record.Line, string.Empty, "*", record.Error!,
                            record.Error == CsvRecordReader.InvalidUtf8 ? "the line is not valid UTF-8" : "a quote inside a field that is not quoted"));
                    }
                    else if (record.Fields.Length != map.HeaderLength)
                    {
                        chunk.Problems.Add(new RowProblem(record.Line, string.Empty, "*", "field-count",
                            string.Create(CultureInfo.InvariantCulture, $"{record.Fields.Length} fields, the header has {map.HeaderLength}")));
                    }
                    else if (map.Parse(record.Fields, out var rowProblem) is { } e)
                    {
                        batch.Events.Add(new LocatedResponse(e, source, record.Line));
                        if (batch.Events.Count == _options.BatchSize)
                        {
                            chunk.Batch = batch.Seal();
                            chunk.Progress = new IngestProgress(name, sha, source, record.Line, FileComplete: false);
                            await SendAsync(chunk);
                            (chunk, batch) = (new ParsedChunk(), NextBatch());
                        }
                    }
                    else
                    {
                        chunk.Problems.Add(new RowProblem(record.Line, rowProblem!.RecipientId, rowProblem.Column, rowProblem.Reason, rowProblem.Detail));
                    }

                    if (chunk.Problems.Count == _options.BatchSize)
                    {
                        // A file of bad rows is handed over in pieces too: memory holds at most a batch of either.
                        await SendAsync(chunk);
                        chunk = new ParsedChunk();
                    }
                }
            }
            catch (CsvQuoteException ex)
            {
                chunk.Quote = ex;
                chunk.Discarded = batch.Events.Count;
                await SendAsync(chunk);
                chunks.Complete();
                return;
            }

            // The last batch completes the file in the ledger, also when it holds no event.
            chunk.Batch = batch.Seal();
            chunk.Progress = new IngestProgress(name, sha, source, lastLine, FileComplete: true);
            await SendAsync(chunk);
            chunks.Complete();
        }
        catch (Exception ex)
        {
            ((IDataflowBlock)chunks).Fault(ex);
            throw;
        }

        ResponseBatch NextBatch() => emptied.TryDequeue(out var reused) ? reused : new ResponseBatch();

        async Task SendAsync(ParsedChunk ready)
        {
            if (!await chunks.SendAsync(ready, ct))
            {
                ct.ThrowIfCancellationRequested();
                throw new InvalidOperationException("The batches of the file were refused before its end.");
            }
        }
    }

    private async Task ApplyAsync(RunState run, FileTally tally, ResponseBatch batch, IngestProgress progress, CancellationToken ct)
    {
        var events = batch.Events;
        if (run.SoftBounceThreshold is null && events.Any(r => r.Event.Type == ResponseEventType.SoftBounce))
        {
            run.SoftBounceThreshold = _options.SoftBounceThreshold ?? await AskSoftBounceThresholdAsync(run, ct);
        }

        // Until a soft bounce is seen the threshold does not matter.
        var writer = await run.Writers!.GetAsync(run.SoftBounceThreshold ?? int.MaxValue, ct);
        var results = await writer.ApplyBatchAsync(batch, progress, commit: !run.Context.DryRun, ct);
        if (results.Count != events.Count)
        {
            throw StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                $"{tally.Source}: {events.Count} events sent to the CRM, {results.Count} results"));
        }

        // Counted per batch, then added to the stage's (sorted) counters once.
        var applied = new long[AppliedKeys.Length];
        var ignored = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            var (e, _, line) = events[i];
            var result = results[i];
            switch (result.Outcome)
            {
                case ResponseOutcome.Applied:
                    tally.Applied++;
                    applied[(int)e.Type]++;
                    break;
                case ResponseOutcome.Ignored:
                    tally.Ignored++;
                    ignored[result.Rule] = ignored.GetValueOrDefault(result.Rule) + 1;
                    break;
                case ResponseOutcome.Rejected:
                    await RejectAsync(run, tally, line, e.RecipientId, ColumnOf(result.Rule), result.Rule, result.Detail, ct);
                    break;
                default:
                    throw new InvalidOperationException("Unknown response outcome.");
            }
        }

        for (var type = 0; type < applied.Length; type++)
        {
            if (applied[type] > 0)
            {
                run.Counts.Add(AppliedKeys[type], applied[type]);
            }
        }

        foreach (var (rule, count) in ignored)
        {
            run.Counts.Add("ignored:" + rule, count);
        }
    }

    private async Task<int> AskSoftBounceThresholdAsync(RunState run, CancellationToken ct)
    {
        run.Client ??= platform.Create();
        var threshold = await run.Client.Responses.GetBounceCounterThresholdAsync("softbounce", ct);
        if (threshold is < 1 or > 1000)
        {
            // A 0 would mark every soft bounce as bounced.
            throw new StageFailedException(string.Create(CultureInfo.InvariantCulture,
                $"the platform's soft-bounce threshold (ResponseWebservice.getBounceCounterThreshold) is {threshold}, not between 1 and 1000; set Ingest:SoftBounceThreshold"));
        }

        Log.SoftBounceThreshold(logger, threshold);
        return threshold;
    }

    /// <summary>The header column a writer's reject is about.</summary>
    private string ColumnOf(string rule) => rule switch
    {
        "unknown-recipient" => _options.Columns.GetValueOrDefault("RecipientId") ?? "recipient-id",
        "ambiguous-recipient" => _options.Columns.GetValueOrDefault("Email") ?? "email",
        "unknown-member-status" => _options.Columns.GetValueOrDefault("EventType") ?? "event-type",
        "unknown-mailing" or "mailing-not-linked" => _options.Columns.GetValueOrDefault("MailingId") ?? "mailing-id",
        _ => "*",
    };

    private static async Task RejectAsync(RunState run, FileTally tally, long line, string recipientId, string column, string reason, string detail, CancellationToken ct)
    {
        tally.Rejected++;
        run.Counts.Add("rejected:" + reason, 1);

        // An address never goes into a reject file.
        var entityId = recipientId.Contains('@', StringComparison.Ordinal) ? string.Empty : recipientId;
        await run.Rejects.WriteRecordAsync([tally.Source, line.ToString(CultureInfo.InvariantCulture), "recipient", entityId, column, reason, detail], ct);
    }

    private void Finish(RunState run, FileTally tally, long resumeAfter)
    {
        if (tally.Read != tally.Applied + tally.Ignored + tally.Rejected + tally.Discarded)
        {
            throw StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                $"{tally.Source}: read {tally.Read} <> applied {tally.Applied} + ignored {tally.Ignored} + rejected {tally.Rejected} + not applied {tally.Discarded}"));
        }

        var counts = run.Counts;
        counts.RowsIn += tally.Read - tally.Discarded;
        counts.RowsOut += tally.Applied;
        counts.RowsExcluded += tally.Ignored;
        counts.RowsRejected += tally.Rejected;
        counts.Add("read:" + Path.GetFileName(tally.Source), tally.Read);
        if (tally.Discarded > 0)
        {
            counts.Add("not-applied:file-unusable", tally.Discarded);
        }

        Log.FileRead(logger, tally.Source, tally.Read, tally.Applied, tally.Ignored, tally.Rejected, resumeAfter);
    }

    private bool Fail(RunState run, string name, string reason)
    {
        run.Failures.Add(reason);
        run.Counts.Add("files-unusable", 1);
        Log.FileFailed(logger, name, reason);
        return false;
    }

    private static bool StartsWithByteOrderMark(FileStream stream)
    {
        Span<byte> head = stackalloc byte[3];
        var read = stream.ReadAtLeast(head, 3, throwOnEndOfStream: false);
        stream.Position = 0;
        return read == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF;
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    private static void DeleteTemp(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover scratch folder is harmless; Data:Folder/tmp is emptied at the start of a stage.
        }
    }

    /// <summary>A row of a response file that cannot become an event: its reject record.</summary>
    private sealed record RowProblem(long Line, string RecipientId, string Column, string Reason, string Detail);

    /// <summary>
    /// What the reading side hands the applying side, in file order: the rows that cannot be used, then a batch to apply
    /// (none in a chunk of rejects only), or the quote that makes the rest of the file unreadable.
    /// </summary>
    private sealed class ParsedChunk
    {
        public long Read { get; set; }

        /// <summary>Rows at or before the line a partial earlier attempt got to.</summary>
        public long AlreadyIngested { get; set; }

        public List<RowProblem> Problems { get; } = [];

        public ResponseBatch? Batch { get; set; }

        public IngestProgress? Progress { get; set; }

        public CsvQuoteException? Quote { get; set; }

        /// <summary>Events parsed before the quote, in a batch that is never applied.</summary>
        public long Discarded { get; set; }
    }

    /// <summary>What one attempt carries between files.</summary>
    private sealed class RunState(StageContext context, StageCounts counts, CsvWriter rejects, string tempFolder, IReadOnlyDictionary<string, ResponseEventType> eventTypes)
    {
        public StageContext Context { get; } = context;

        public StageCounts Counts { get; } = counts;

        public CsvWriter Rejects { get; } = rejects;

        public string TempFolder { get; } = tempFolder;

        public IReadOnlyDictionary<string, ResponseEventType> EventTypes { get; } = eventTypes;

        public WriterSlot? Writers { get; set; }

        public IPlatformClient? Client { get; set; }

        public int? SoftBounceThreshold { get; set; }

        /// <summary>One line per unusable file; the stage fails with them after every other file is in.</summary>
        public List<string> Failures { get; } = [];
    }

    private sealed class FileTally(string source)
    {
        public string Source { get; } = source;

        public long Read { get; set; }

        public long Applied { get; set; }

        public long Ignored { get; set; }

        public long Rejected { get; set; }

        /// <summary>Events of the batch pending when the file turned out unusable: never applied.</summary>
        public long Discarded { get; set; }
    }

    /// <summary>
    /// The CRM writer, opened on first use. Its settings carry the soft-bounce threshold, which is only asked of the
    /// platform when a soft bounce is seen: then the writer is reopened with it (each batch is its own transaction).
    /// </summary>
    private sealed class WriterSlot(CrmDatabase crm, Func<int, ResponseSettings> settings) : IAsyncDisposable
    {
        private readonly SortedDictionary<string, long> _retired = new(StringComparer.Ordinal);
        private ResponseWriter? _writer;
        private int _threshold;

        public async Task<ResponseWriter> GetAsync(int threshold, CancellationToken ct)
        {
            if (_writer is not null && _threshold == threshold)
            {
                return _writer;
            }

            await RetireAsync();
            _writer = await ResponseWriter.OpenAsync(crm, settings(threshold), ct);
            _threshold = threshold;
            return _writer;
        }

        /// <summary>The changes of every writer this slot opened.</summary>
        public SortedDictionary<string, long> Changes()
        {
            var all = new SortedDictionary<string, long>(_retired, StringComparer.Ordinal);
            foreach (var (key, value) in _writer?.Changes ?? [])
            {
                all[key] = all.GetValueOrDefault(key) + value;
            }

            return all;
        }

        public async ValueTask DisposeAsync() => await RetireAsync();

        private async Task RetireAsync()
        {
            if (_writer is null)
            {
                return;
            }

            foreach (var (key, value) in _writer.Changes)
            {
                _retired[key] = _retired.GetValueOrDefault(key) + value;
            }

            await _writer.DisposeAsync();
            _writer = null;
        }
    }
}
