using System.Globalization;
using CampaignEtl.Crm.Store;
using CampaignEtl.Crm.Suppression;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Csv;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Transfer;
using CsvHelper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Suppress;

/// <summary>
/// Stage 1: the platform's bounces, outbounces and unsubscribes (SOAP closed-loop reads over a window that
/// overlaps the last one, or the newest scheduled export files of the drop) de-duplicated into two archived
/// result files, bounces and unsubscriptions, which are then read back and applied to the CRM in batches,
/// one transaction each (see <see cref="SuppressionWriter"/> for the matching rule). Rows read = events +
/// rejected + duplicates for every source, and events = applied + rejected + already applied, checked.
/// </summary>
public sealed class SuppressStage(
    IOptions<SuppressOptions> options,
    IOptions<ExportOptions> exportOptions,
    IOptions<RunOptions> runOptions,
    IOptions<DataOptions> dataOptions,
    CrmDatabase crm,
    IPlatformClientFactory platform,
    TimeProvider time,
    ILogger<SuppressStage> logger,
    IFileDrop? fileDrop = null) : IStage
{
    /// <summary>The end of the last applied SOAP window, in the CRM's sync_watermark table.</summary>
    public const string WatermarkName = "suppress:soap:until";

    /// <summary>Rows a closed-loop read may run ahead of the stage: two of the client's pages (1000 rows each).</summary>
    private const int ReadAheadRows = 2000;

    private const string PlatformOutbounces = "outbounces";
    private const string PlatformUnsubscribes = "unsubscribes";
    private static readonly FileCounterpart Platform = new("optimizely-campaign");

    private readonly SuppressOptions _options = options.Value;

    public StageName Name => StageName.Suppress;

    public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (_options.Source == SuppressOptions.SourceDrop && _options.DropFolder is not null && !Directory.Exists(_options.DropFolder))
        {
            problems.Add($"Suppress:DropFolder = '{_options.DropFolder}': the folder does not exist");
        }

        return Task.FromResult<IReadOnlyList<string>>(problems);
    }

    public async Task<StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var counts = new StageCounts();
        var runId = context.Run.RunId;
        var suffix = string.Create(CultureInfo.InvariantCulture, $"{runId}_attempt-{context.Attempt}.csv");
        var archive = context.DryRun ? null : context.RequireArchive();
        await using var rejectsFile = archive?.CreateFile("rejects_suppress_" + suffix, "rejects", "internal", new FileCounterpart("crm"));
        await using var ambiguitiesFile = archive?.CreateFile("ambiguities_suppress_" + suffix, "ambiguities", "internal", new FileCounterpart("crm"));
        var rejectsStream = rejectsFile?.Content ?? Stream.Null;
        var rejects = CsvWriter.Create(rejectsStream, CsvFormats.Writer, leaveOpen: true);
        var ambiguities = CsvWriter.Create(ambiguitiesFile?.Content ?? Stream.Null, CsvFormats.Writer, leaveOpen: true);
        long ambiguous;
        StageFailedException? failure = null;
        (string Name, string Value)? watermark;
        await using (rejects)
        await using (ambiguities)
        {
            rejects.WriteHeader(ExportColumns.Rejects);
            ambiguities.WriteHeader(SuppressColumns.Ambiguities);
            var run = new RunState(context, counts, rejects, rejectsStream, ambiguities);

            var temp = dataOptions.Value.TempFolder;
            await using (var staging = await EventStaging.CreateAsync(temp, cancellationToken))
            await using (var bounces = ResultFile.Create(archive, temp, "bounces_" + suffix, unsubscribes: false))
            await using (var unsubscriptions = ResultFile.Create(archive, temp, "unsubscriptions_" + suffix, unsubscribes: true))
            {
                (run.Staging, run.Bounces, run.Unsubscriptions) = (staging, bounces, unsubscriptions);
                if (_options.Source == SuppressOptions.SourceDrop)
                {
                    await ReadDropAsync(run, cancellationToken);
                    await bounces.CommitAsync(cancellationToken);
                    await unsubscriptions.CommitAsync(cancellationToken);
                    await ApplyAsync(run, ReadResultsAsync([bounces, unsubscriptions], cancellationToken), cancellationToken);
                }
                else
                {
                    await ReadSoapAndApplyAsync(run, cancellationToken);
                }
            }

            run.MergeApplyCounts();

            if (!counts.IsBalanced || run.Events != run.Applied + run.ApplyRejected + run.AlreadyApplied + run.NotManaged)
            {
                failure = StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                    $"suppress: read {counts.RowsIn} <> applied {counts.RowsOut} + rejected {counts.RowsRejected} + excluded {counts.RowsExcluded}; events {run.Events}"));
            }

            failure ??= StageFailedException.ForRejectRate(counts, runOptions.Value.MaxRejectRate);

            await rejects.FlushAsync(cancellationToken);
            await ambiguities.FlushAsync(cancellationToken);
            Log.Applied(logger, run.Applied, run.AlreadyApplied, counts.RowsRejected, run.Ambiguous);
            ambiguous = run.Ambiguous;
            watermark = run.Watermark;
        }

        // After the CSV writers are gone: a committed file is closed, and disposing a writer flushes into it.
        // The rejects are archived even when the checks fail: they are what the operator needs to see.
        if (rejectsFile is not null && ambiguitiesFile is not null)
        {
            await rejectsFile.CommitAsync(counts.RowsRejected, cancellationToken);
            await ambiguitiesFile.CommitAsync(ambiguous, cancellationToken);
        }

        if (failure is not null)
        {
            throw failure;
        }

        // Only a stage that passed its checks moves the window on; a failed one is read again from the
        // same start (the ledger skips what it already applied).
        if (!context.DryRun && watermark is { } mark)
        {
            await SuppressionWriter.WriteWatermarkAsync(crm, mark.Name, mark.Value, runId, time.GetUtcNow(), cancellationToken);
        }

        return counts;
    }

    /// <summary>
    /// The SOAP source. Bounces come only from getOutBounces and getResponses, so once those are read the bounces
    /// result file is complete: it is committed and applied (on the thread pool) while getUnsubscribes, the longest
    /// read, is still paging. The unsubscriptions are applied after it, with the same writer, so the files, the order
    /// of application and the outcomes are those of reading everything first. The rejects of the bounces' application
    /// go to a scratch file meanwhile and are appended after the read's own rejects, in the same order as before.
    /// </summary>
    private async Task ReadSoapAndApplyAsync(RunState run, CancellationToken ct)
    {
        using var overlap = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task? applying = null;
        Directory.CreateDirectory(dataOptions.Value.TempFolder);
        var deferred = new FileStream(
            Path.Combine(dataOptions.Value.TempFolder, "suppress-rejects-" + Guid.NewGuid().ToString("N") + ".csv"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        var deferredRejects = CsvWriter.Create(deferred, CsvFormats.Writer, leaveOpen: true);
        try
        {
            try
            {
                await using var client = platform.Create();
                try
                {
                    await ReadSoapAsync(run, client, async () =>
                    {
                        run.SoftBounceThreshold = await SoftBounceThresholdAsync(client, overlap.Token);
                        await run.Bounces!.CommitAsync(overlap.Token);
                        run.Writer = await OpenWriterAsync(run, overlap.Token);
                        applying = Task.Run(
                            async () =>
                            {
                                try
                                {
                                    await ApplyEventsAsync(run, ReadResultsAsync([run.Bounces], overlap.Token), deferredRejects, overlap.Token);
                                }
                                catch
                                {
                                    // The read stops too; the application's failure is the one reported.
                                    await overlap.CancelAsync();
                                    throw;
                                }
                            },
                            overlap.Token);
                    }, overlap.Token);
                }
                finally
                {
                    run.Counts.PlatformCalls = client.Calls.Total;
                    run.Context.Progress.SetPlatformCalls(run.Counts.PlatformCalls);
                }
            }
            catch when (applying is not null)
            {
                await overlap.CancelAsync();
                try
                {
                    await applying;
                }
                catch (OperationCanceledException)
                {
                    // Stopped because the read failed: the read's failure is the one reported.
                }

                throw;
            }

            await applying!;
            await deferredRejects.FlushAsync(ct);
            await run.Rejects.FlushAsync(ct);
            deferred.Position = 0;
            await deferred.CopyToAsync(run.RejectsStream, ct);

            await run.Unsubscriptions!.CommitAsync(ct);
            await ApplyEventsAsync(run, ReadResultsAsync([run.Unsubscriptions], ct), run.Rejects, ct);
        }
        finally
        {
            await deferredRejects.DisposeAsync();
            await deferred.DisposeAsync();
            if (run.Writer is not null)
            {
                await run.Writer.DisposeAsync();
            }
        }
    }

    private async Task<int> SoftBounceThresholdAsync(IPlatformClient client, CancellationToken ct) =>
        _options.SoftBounceThreshold ?? CheckedThreshold(await client.Responses.GetBounceCounterThresholdAsync("softbounce", ct));

    /// <summary>The platform's own soft-bounce limit, held to the rule a configured one must meet: a 0 would mark every soft bounce as bounced.</summary>
    private static int CheckedThreshold(int threshold) => threshold is >= 1 and <= 1000
        ? threshold
        : throw new StageFailedException(string.Create(CultureInfo.InvariantCulture,
            $"the platform's soft-bounce threshold (ResponseWebservice.getBounceCounterThreshold) is {threshold}, not between 1 and 1000; set Suppress:SoftBounceThreshold"));

    // ------------------------------------------------------------------ sources

    /// <summary>The three closed-loop reads; <paramref name="afterBounces"/> runs once every bounce has been read (before getUnsubscribes).</summary>
    private async Task ReadSoapAsync(RunState run, IPlatformClient client, Func<Task> afterBounces, CancellationToken ct)
    {
        var until = await client.ClosedLoop.GetCurrentTimeAsync(ct);
        var last = await SuppressionWriter.ReadWatermarkAsync(crm, WatermarkName, ct);
        var since = last is not null && SuppressRows.TryIso(last, out var lastUntil)
            ? lastUntil - _options.WindowOverlap
            : until - _options.InitialLookback;
        Log.Window(logger, since, until, last is null);
        run.Watermark = (WatermarkName, CrmTime.Format(until));

        var closedLoop = client.ClosedLoop;
        await ReadOperationAsync(run, SuppressRows.GetOutBounces, closedLoop.GetOutBouncesAsync(since, until, ct), SuppressRows.OutBounce, ct);
        await ReadOperationAsync(run, SuppressRows.GetResponses, closedLoop.GetResponsesAsync(since, until, ct), SuppressRows.Response, ct);
        await afterBounces();

        await ReadOperationAsync(run, SuppressRows.GetUnsubscribes, closedLoop.GetUnsubscribesAsync(since, until, ct), SuppressRows.Unsubscribe, ct);
    }

    private async Task ReadOperationAsync(
        RunState run, string operation, IAsyncEnumerable<IReadOnlyList<string?>> rows, Func<IReadOnlyList<string?>, string, ParsedRow> parse, CancellationToken ct)
    {
        var source = "soap:" + operation;
        var tally = new SourceTally(source);
        // The next page is fetched while this one is archived, parsed and staged (see ReadAhead).
        rows = ReadAhead.ReadAsync(rows, ReadAheadRows, ct);
        if (run.Context.Archive is not { } archive)
        {
            await foreach (var row in rows.WithCancellation(ct))
            {
                tally.Read++;
                await TakeAsync(run, tally, parse(row, source), tally.Read, ct);
            }

            Finish(run, tally);
            return;
        }

        // What the platform sent is archived as it came, one CSV line per row, so an auditor can see the
        // raw data months later and every reject names an archived file and line, as for the drop files.
        var name = string.Create(CultureInfo.InvariantCulture, $"closedloop_{operation}_{run.Context.Run.RunId}_attempt-{run.Context.Attempt}.csv");
        await using var raw = archive.CreateFile(name, "platform-closedloop", "inbound", Platform with { RemotePath = "RpcClosedLoop/" + operation });
        var csv = CsvWriter.Create(raw.Content, CsvFormats.Writer, leaveOpen: true);
        await using (csv)
        {
            csv.WriteHeader(SuppressColumns.ClosedLoop(operation));
            tally.RejectSource = name;
            await foreach (var row in rows.WithCancellation(ct))
            {
                tally.Read++;
                await csv.WriteRecordAsync(row.Select(v => v ?? string.Empty).ToArray(), ct);
                await TakeAsync(run, tally, parse(row, source), tally.Read + 1, ct);
            }

            await csv.FlushAsync(ct);
        }

        await raw.CommitAsync(tally.Read, ct);
        Finish(run, tally);
    }

    private async Task ReadDropAsync(RunState run, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(_options.DropFolder))
        {
            var drop = new DropFolderFiles(_options.DropFolder);
            await ReadDropFileAsync(run, Newest(drop, PlatformOutbounces), "platform-outbounces", SuppressRows.OutbounceColumns, SuppressRows.DropOutbounce, ct);
            await ReadDropFileAsync(run, Newest(drop, PlatformUnsubscribes), "platform-unsubscribes", SuppressRows.UnsubscribeColumns, SuppressRows.DropUnsubscribe, ct);
            return;
        }

        // The file drop (Transfer): list once, fetch the newest of each kind into a temporary folder, archive from there.
        var files = fileDrop ?? throw new StageFailedException("Suppress:Source = drop without Suppress:DropFolder needs the file drop (Transfer), which is not configured");
        var names = (await files.ListAsync(cancellationToken: ct)).Select(f => f.Name).ToList();
        var temp = Path.Combine(dataOptions.Value.TempFolder, "suppress-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            foreach (var (prefix, kind, columns, parse) in new (string, string, string[], Func<string[], int[], string, ParsedRow>)[]
            {
                (PlatformOutbounces, "platform-outbounces", SuppressRows.OutbounceColumns, SuppressRows.DropOutbounce),
                (PlatformUnsubscribes, "platform-unsubscribes", SuppressRows.UnsubscribeColumns, SuppressRows.DropUnsubscribe),
            })
            {
                var name = DropFolderFiles.Newest(names, prefix)
                    ?? throw new StageFailedException($"no {prefix}_<yyyyMMdd>_<seq>.csv on the file drop ({files})");
                var downloaded = await files.DownloadAsync(name, Path.Combine(temp, name), ct);
                await ReadDropFileAsync(run, downloaded.LocalPath, kind, columns, parse, ct);
            }
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static string Newest(DropFolderFiles drop, string prefix) =>
        drop.FindNewest(prefix) ?? throw new StageFailedException($"no {prefix}_<yyyyMMdd>_<seq>.csv in Suppress:DropFolder '{drop.Folder}'");

    /// <summary>
    /// One drop file: copied into the archive first and the archived copy parsed, so every reject names an
    /// archived file and line. Header-driven: required columns in any order, extra columns ignored.
    /// </summary>
    private async Task ReadDropFileAsync(
        RunState run, string original, string kind, string[] required, Func<string[], int[], string, ParsedRow> parse, CancellationToken ct)
    {
        var name = Path.GetFileName(original);
        string path;
        string source;
        if (run.Context.Archive is { } archive)
        {
            await using var copy = archive.CreateFile(name, kind, "inbound", Platform with { RemotePath = name });
            await using (var input = new FileStream(original, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            {
                await input.CopyToAsync(copy.Content, ct);
            }

            await copy.CommitAsync(null, ct);
            source = copy.RelativePath;
            path = archive.Layout.ToFullPath(source);
        }
        else
        {
            (path, source) = (original, name);
        }

        if (new FileInfo(path).Length == 0)
        {
            throw new StageFailedException($"{source}: the file is empty (0 bytes; a full export has at least its header line)");
        }

        var tally = new SourceTally(source);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        var reader = new CsvRecordReader(stream);
        try
        {
            if (!reader.TryRead(out var header) || header.Fields is null)
            {
                throw new StageFailedException($"{source}: line 1: the header cannot be read ({header.Error ?? "no header"})");
            }

            var index = HeaderIndex(header.Fields, required, source);
            while (reader.TryRead(out var record))
            {
                ct.ThrowIfCancellationRequested();
                tally.Read++;
                ParsedRow parsed = record.Fields is null
                    ? new RowProblem("*", record.Error!, record.Error == CsvRecordReader.InvalidUtf8 ? "the line is not valid UTF-8" : "a quote inside a field that is not quoted")
                    : record.Fields.Length != header.Fields.Length
                        ? new RowProblem("*", "field-count", string.Create(CultureInfo.InvariantCulture, $"{record.Fields.Length} fields, the header has {header.Fields.Length}"))
                        : parse(record.Fields, index, source);
                await TakeAsync(run, tally, parsed, record.Line, ct);
            }
        }
        catch (CsvQuoteException ex)
        {
            throw new StageFailedException(string.Create(CultureInfo.InvariantCulture, $"{source}: line {ex.Line}: {ex.Message}"));
        }

        Finish(run, tally);
    }

    private static int[] HeaderIndex(string[] header, string[] required, string source)
    {
        var index = new int[required.Length];
        for (var i = 0; i < required.Length; i++)
        {
            index[i] = Array.FindIndex(header, h => string.Equals(h.Trim(), required[i], StringComparison.OrdinalIgnoreCase));
            if (index[i] < 0)
            {
                throw new StageFailedException($"{source}: line 1: required column '{required[i]}' is missing (expected {string.Join(",", required)})");
            }
        }

        return index;
    }

    private static async Task TakeAsync(RunState run, SourceTally tally, ParsedRow parsed, long row, CancellationToken ct)
    {
        if (parsed.Event is { } e)
        {
            if (await run.Staging!.AddAsync(e, ct))
            {
                tally.Accepted++;
                await (e.Kind == SuppressionKind.Unsubscribe ? run.Unsubscriptions! : run.Bounces!).WriteAsync(e, ct);
            }
            else
            {
                tally.Duplicates++;
            }

            return;
        }

        var problem = parsed.Problem!;
        tally.Rejected++;
        run.Counts.Add("rejected:" + problem.Reason, 1);
        await WriteRejectAsync(run, tally.RejectSource ?? tally.Source, row, problem.RecipientId, problem.Column, problem.Reason, problem.Detail, ct);
    }

    private void Finish(RunState run, SourceTally tally)
    {
        if (tally.Read != tally.Accepted + tally.Rejected + tally.Duplicates)
        {
            throw StageFailedException.CountsDoNotAddUp(string.Create(CultureInfo.InvariantCulture,
                $"{tally.Source}: read {tally.Read} <> events {tally.Accepted} + rejected {tally.Rejected} + duplicates {tally.Duplicates}"));
        }

        var counts = run.Counts;
        counts.RowsIn += tally.Read;
        counts.RowsRejected += tally.Rejected;
        counts.RowsExcluded += tally.Duplicates;
        counts.Add("read:" + tally.Source, tally.Read);
        counts.Add("excluded:duplicate", tally.Duplicates);
        run.Events += tally.Accepted;
        Log.SourceRead(logger, tally.Source, tally.Read, tally.Accepted, tally.Duplicates, tally.Rejected);
    }

    // ------------------------------------------------------------------ result files

    /// <summary>The committed result files read back, streamed: what is applied is exactly what was written.</summary>
    private static async IAsyncEnumerable<LocatedEvent> ReadResultsAsync(
        ResultFile[] files, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var file in files)
        {
            await using var stream = file.OpenRead();
            var reader = new CsvRecordReader(stream);
            reader.TryRead(out _);
            while (reader.TryRead(out var record))
            {
                ct.ThrowIfCancellationRequested();
                yield return new LocatedEvent(ParseResult(record, file.Unsubscribes, file.Source), file.Source, record.Line);
            }
        }
    }

    private static SuppressionEvent ParseResult(CsvRecord record, bool unsubscribes, string file)
    {
        var f = record.Fields;
        var expected = unsubscribes ? SuppressColumns.Unsubscriptions.Length : SuppressColumns.Bounces.Length;
        if (f is null || f.Length != expected || !SuppressRows.TryIso(f[3], out var at))
        {
            throw new StageFailedException(string.Create(CultureInfo.InvariantCulture, $"{file}: line {record.Line}: the archived result file cannot be read back"));
        }

        if (unsubscribes)
        {
            long? list = f[2].Length == 0 ? null : long.Parse(f[2], CultureInfo.InvariantCulture);
            return new SuppressionEvent(SuppressionKind.Unsubscribe, f[0], f[1], list, at, string.Empty, f[4], f[5]);
        }

        if (!SuppressionKinds.TryParse(f[2], out var kind))
        {
            throw new StageFailedException(string.Create(CultureInfo.InvariantCulture, $"{file}: line {record.Line}: unknown kind in the archived result file"));
        }

        return new SuppressionEvent(kind, f[0], f[1], null, at, f[4], f[5], f[6]);
    }

    // ------------------------------------------------------------------ apply

    private async Task ApplyAsync(RunState run, IAsyncEnumerable<LocatedEvent> events, CancellationToken ct)
    {
        run.Writer = await OpenWriterAsync(run, ct);
        try
        {
            await ApplyEventsAsync(run, events, run.Rejects, ct);
        }
        finally
        {
            await run.Writer.DisposeAsync();
        }
    }

    private async Task<SuppressionWriter> OpenWriterAsync(RunState run, CancellationToken ct)
    {
        var optIns = new Dictionary<long, long>();
        foreach (var list in exportOptions.Value.RecipientLists.Where(l => l.OptInId is not null))
        {
            optIns[list.ListId] = list.OptInId!.Value;
        }

        var settings = new SuppressionSettings(run.Context.Run.RunId, run.SoftBounceThreshold ?? int.MaxValue, optIns, time.GetUtcNow());
        return await SuppressionWriter.OpenAsync(crm, settings, ct);
    }

    /// <summary>Applies events in batches with <see cref="RunState.Writer"/>; its counts go to <see cref="RunState.ApplyCounts"/>.</summary>
    private async Task ApplyEventsAsync(RunState run, IAsyncEnumerable<LocatedEvent> events, CsvWriter rejects, CancellationToken ct)
    {
        var writer = run.Writer!;
        var commit = !run.Context.DryRun;
        var batch = new List<LocatedEvent>(_options.BatchSize);
        await foreach (var located in events.WithCancellation(ct))
        {
            batch.Add(located);
            if (batch.Count == _options.BatchSize)
            {
                await ApplyBatchAsync(run, writer, batch, commit, rejects, ct);
                batch.Clear();
            }
        }

        await ApplyBatchAsync(run, writer, batch, commit, rejects, ct);
    }

    private static async Task ApplyBatchAsync(
        RunState run, SuppressionWriter writer, List<LocatedEvent> batch, bool commit, CsvWriter rejects, CancellationToken ct)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var results = await writer.ApplyBatchAsync(batch, commit, ct);
        var counts = run.ApplyCounts;
        for (var i = 0; i < batch.Count; i++)
        {
            var (e, file, line) = batch[i];
            var result = results[i];
            switch (result.Outcome)
            {
                case ApplyOutcome.Applied:
                    run.Applied++;
                    counts.RowsOut++;
                    counts.Add(AppliedDetail(e), 1);
                    if (result.AmbiguousPersonIds is { } people)
                    {
                        run.Ambiguous++;
                        counts.Add("ambiguous-address", 1);
                        await run.Ambiguities.WriteRecordAsync(
                            [file, line.ToString(CultureInfo.InvariantCulture), e.Kind.ToText(), people.Count.ToString(CultureInfo.InvariantCulture), string.Join(' ', people)], ct);
                    }

                    break;
                case ApplyOutcome.AlreadyApplied:
                    run.AlreadyApplied++;
                    counts.RowsExcluded++;
                    counts.Add("excluded:already-applied", 1);
                    break;
                case ApplyOutcome.UnknownRecipient:
                    run.ApplyRejected++;
                    counts.RowsRejected++;
                    counts.Add("rejected:unknown-recipient", 1);
                    await WriteRejectAsync(rejects, file, line, e.RecipientId, e.RecipientId.Length > 0 ? "recipient-id" : "email", "unknown-recipient",
                        "no CRM person with this recipient id or address", ct);
                    break;
                case ApplyOutcome.UnknownRecipientList:
                    // A list this job does not fill (the client has others): nothing here to revoke, and not bad
                    // data either; as rejects they would push a busy night over Run:MaxRejectRate.
                    run.NotManaged++;
                    counts.RowsExcluded++;
                    counts.Add("excluded:list-not-managed", 1);
                    break;
                default:
                    throw new InvalidOperationException("Unknown apply outcome.");
            }
        }
    }

    private static Task WriteRejectAsync(RunState run, string source, long row, string recipientId, string column, string reason, string detail, CancellationToken ct) =>
        WriteRejectAsync(run.Rejects, source, row, recipientId, column, reason, detail, ct);

    private static async Task WriteRejectAsync(CsvWriter rejects, string source, long row, string recipientId, string column, string reason, string detail, CancellationToken ct) =>
        await rejects.WriteRecordAsync([source, row.ToString(CultureInfo.InvariantCulture), "recipient", SuppressRows.RecipientForReject(recipientId), column, reason, detail], ct);

    /// <summary>The detail counter of an applied event (constant strings: this runs once per event).</summary>
    private static string AppliedDetail(SuppressionEvent e) => e.Kind switch
    {
        SuppressionKind.Hard => "applied:hard",
        SuppressionKind.Soft => "applied:soft",
        SuppressionKind.Outbounce => "applied:outbounce",
        _ => e.ListId is null ? "applied:unsubscribe:client-wide" : "applied:unsubscribe:list",
    };

    /// <summary>What one attempt carries between its steps.</summary>
    private sealed class RunState(StageContext context, StageCounts counts, CsvWriter rejects, Stream rejectsStream, CsvWriter ambiguities)
    {
        public StageContext Context { get; } = context;

        public StageCounts Counts { get; } = counts;

        /// <summary>What applying the events counted; kept apart while the bounces are applied beside the read, merged at the end.</summary>
        public StageCounts ApplyCounts { get; } = new();

        public CsvWriter Rejects { get; } = rejects;

        /// <summary>The stream under <see cref="Rejects"/> (rejects written elsewhere meanwhile are appended to it).</summary>
        public Stream RejectsStream { get; } = rejectsStream;

        /// <summary>The CRM writer of this attempt, once the events are being applied.</summary>
        public SuppressionWriter? Writer { get; set; }

        public CsvWriter Ambiguities { get; } = ambiguities;

        /// <summary>The keys of the events seen so far in this attempt (a second sighting is a duplicate).</summary>
        public EventStaging? Staging { get; set; }

        public ResultFile? Bounces { get; set; }

        public ResultFile? Unsubscriptions { get; set; }

        public (string Name, string Value)? Watermark { get; set; }

        public int? SoftBounceThreshold { get; set; }

        public long Events { get; set; }

        public long Applied { get; set; }

        public long AlreadyApplied { get; set; }

        /// <summary>Unsubscribes from recipient lists not under Export:RecipientLists.</summary>
        public long NotManaged { get; set; }

        public long ApplyRejected { get; set; }

        public long Ambiguous { get; set; }

        public void MergeApplyCounts()
        {
            Counts.RowsOut += ApplyCounts.RowsOut;
            Counts.RowsRejected += ApplyCounts.RowsRejected;
            Counts.RowsExcluded += ApplyCounts.RowsExcluded;
            foreach (var (key, value) in ApplyCounts.Details)
            {
                Counts.Add(key, value);
            }

            if (Writer is null)
            {
                return;
            }

            foreach (var (change, value) in Writer.Changes)
            {
                Counts.Add("changed:" + change, value);
            }
        }
    }

    private sealed class SourceTally(string source)
    {
        public string Source { get; } = source;

        /// <summary>The archived file a reject points at, when it is not <see cref="Source"/> itself.</summary>
        public string? RejectSource { get; set; }

        public long Read { get; set; }

        public long Accepted { get; set; }

        public long Rejected { get; set; }

        public long Duplicates { get; set; }
    }
}
