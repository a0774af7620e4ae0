using System.Diagnostics;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Runs;

/// <summary>
/// Runs the stages in order (suppress, export, refill, ingest; those that exist in this version)
/// under the run lock, one journal attempt and one sealed archive folder per stage. A stage that
/// fails or is interrupted stops the run: later stages depend on it.
/// </summary>
public sealed class PipelineRunner(
    IEnumerable<IStage> stages,
    IOptions<DataOptions> dataOptions,
    IOptions<RunOptions> runOptions,
    IOptions<ArchiveOptions> archiveOptions,
    TimeProvider timeProvider,
    ILogger<PipelineRunner> logger)
{
    private readonly Dictionary<StageName, IStage> _stages = stages.ToDictionary(s => s.Name);

    public IReadOnlyCollection<StageName> AvailableStages => _stages.Keys;

    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken)
    {
        var wanted = ResolveStages(request);
        var data = dataOptions.Value;
        using var runLock = RunLock.Acquire(data.LockPath,
            $"pid {Environment.ProcessId} on {Environment.MachineName} since {CrmTime.Format(timeProvider.GetUtcNow())}");
        var journal = await RunJournal.OpenAsync(data.JournalPath, cancellationToken);
        // A dry run changes nothing in the journal either: it only reads it.
        var abandoned = request.DryRun ? 0 : await journal.MarkAbandonedAttemptsAsync(timeProvider.GetUtcNow(), cancellationToken);
        if (abandoned > 0)
        {
            Log.AbandonedAttempts(logger, abandoned);
        }

        await PreflightAsync(wanted, cancellationToken);
        await CheckOrderAsync(wanted, request, journal, cancellationToken);
        var run = await ResolveRunAsync(request, journal, cancellationToken);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = run.RunId, ["BusinessDate"] = run.BusinessDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) });
        var archive = new ArchiveStore(new ArchiveLayout(data.ArchiveFolder), journal, timeProvider);
        if (!request.DryRun)
        {
            await journal.SetLockHolderAsync(new LockHolder(run.RunId, Environment.ProcessId, Environment.MachineName, CrmTime.Format(timeProvider.GetUtcNow())), cancellationToken);
        }

        var outcomes = new List<StageOutcome>();
        try
        {
            if (!request.DryRun && request.RunId is null)
            {
                var purge = await archive.PurgeAsync(archiveOptions.Value.RetentionDays, run.BusinessDate, cancellationToken);
                if (purge is not null)
                {
                    Log.Purged(logger, purge.Purged.Count, purge.PurgedBefore);
                }
            }

            foreach (var stage in wanted)
            {
                var outcome = await RunStageAsync(_stages[stage], run, request, journal, archive, cancellationToken);
                outcomes.Add(outcome);
                if (outcome.Status != StageStatus.Succeeded)
                {
                    break;
                }
            }
        }
        finally
        {
            if (!request.DryRun)
            {
                await journal.ClearLockHolderAsync(CancellationToken.None);
            }
        }

        return new RunOutcome(run, request.DryRun, outcomes);
    }

    internal IReadOnlyList<StageName> ResolveStages(RunRequest request)
    {
        IEnumerable<StageName> named = request.Stages.Count > 0
            ? StageNames.InOrder.Where(request.Stages.Contains)
            : request.From is { } from
                ? StageNames.InOrder.Where(s => s >= from)
                : StageNames.InOrder.Where(_stages.ContainsKey);
        var list = named.ToList();
        var missing = list.Where(s => !_stages.ContainsKey(s)).Select(s => s.ToText()).ToList();
        if (request.Stages.Count > 0 && missing.Count > 0)
        {
            throw new ConfigurationProblemsException(missing.Select(m =>
                $"--stage {m}: this version has no '{m}' stage yet; available: {string.Join(", ", _stages.Keys.Order().Select(k => k.ToText()))}").ToList());
        }

        list.RemoveAll(s => !_stages.ContainsKey(s));
        if (request.From is { } first && list.Count == 0)
        {
            // A run that would do nothing must not report success.
            throw new ConfigurationProblemsException([
                $"--from {first.ToText()}: this version has no stage from '{first.ToText()}' on; available: {string.Join(", ", _stages.Keys.Order().Select(k => k.ToText()))}"]);
        }

        return list;
    }

    private async Task PreflightAsync(IReadOnlyList<StageName> wanted, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var stage in wanted)
        {
            try
            {
                problems.AddRange(await _stages[stage].ValidateAsync(cancellationToken));
            }
            catch (CrmUnavailableException)
            {
                // Not a configuration problem: the stage itself fails with this reason and the journal records it.
            }
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationProblemsException(problems);
        }
    }

    private async Task<RunIdentity> ResolveRunAsync(RunRequest request, RunJournal journal, CancellationToken cancellationToken)
    {
        if (request.RunId is null)
        {
            TimeZones.TryFind(runOptions.Value.BusinessTimeZone, out var zone);
            var run = RunIdentity.New(timeProvider, zone);
            if (!request.DryRun)
            {
                await journal.CreateRunAsync(run, request.Trigger, cancellationToken);
            }

            return run;
        }

        var record = await journal.GetRunAsync(request.RunId, cancellationToken)
            ?? throw new ConfigurationProblemsException([$"--run-id {request.RunId}: no such run in the journal"]);
        if (record.PurgedAt is not null)
        {
            throw new ConfigurationProblemsException([$"--run-id {request.RunId}: the run's archive was purged by retention at {record.PurgedAt}"]);
        }

        return new RunIdentity(record.RunId, record.BusinessDate, record.TimeZone,
            DateTimeOffset.Parse(record.CreatedAt, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Export must not run before the run's suppress has succeeded: a person who unsubscribed or bounced
    /// tonight would otherwise be exported and re-added to the list. Checked before anything runs: a
    /// request that runs suppress first is fine (a failed suppress stops the run before export); an
    /// export alone needs a succeeded suppress of the same run. <c>--without-suppress</c> overrides it,
    /// recorded in the journal on the export attempt. A dry run only warns: it changes nothing.
    /// </summary>
    private async Task CheckOrderAsync(IReadOnlyList<StageName> wanted, RunRequest request, RunJournal journal, CancellationToken cancellationToken)
    {
        if (!wanted.Contains(StageName.Export) || wanted.Contains(StageName.Suppress) ||
            !_stages.ContainsKey(StageName.Suppress) || request.Overrides.WithoutSuppress)
        {
            return;
        }

        if (request.RunId is { } runId && await journal.LastSucceededAttemptAsync(runId, StageName.Suppress, cancellationToken) is not null)
        {
            return;
        }

        if (request.DryRun)
        {
            Log.ExportBeforeSuppress(logger, request.RunId ?? "(new run)");
            return;
        }

        var hint = request.RunId is { } id
            ? $"run 'run --run-id {id} --stage suppress' first"
            : "run suppress first (a plain 'run' does)";
        throw new StageOrderException(
            $"export refused: suppress has not succeeded in {(request.RunId is null ? "this new run" : "run " + request.RunId)}, so the latest bounces and unsubscribes may not be in the CRM; " +
            $"{hint}, or pass {RunOverrides.WithoutSuppressFlag} to export anyway (recorded in the journal)");
    }

    private async Task<StageOutcome> RunStageAsync(
        IStage stage, RunIdentity run, RunRequest request, RunJournal journal, ArchiveStore archive, CancellationToken cancellationToken)
    {
        var dryRun = request.DryRun;
        var stageText = stage.Name.ToText();
        var started = timeProvider.GetTimestamp();
        var startedAt = timeProvider.GetUtcNow();
        long attemptId = 0;
        var attempt = 0;
        ArchiveAttempt? folder = null;
        if (!dryRun)
        {
            (attemptId, attempt) = await journal.StartAttemptAsync(run.RunId, stage.Name, startedAt, request.Overrides.ForStage(stage.Name), cancellationToken);
            folder = archive.OpenAttempt(run, stage.Name, attempt, attemptId);
        }

        Log.StageStarted(logger, stageText, attempt, dryRun);
        var counts = new StageCounts();
        var progress = new StageProgress();
        StageStatus status;
        string? error = null;
        try
        {
            var context = new StageContext(run, attempt, folder, dryRun)
            {
                Progress = progress,
                Overrides = request.Overrides,
                Journal = journal,
                ArchiveRoot = archive.Layout,
            };
            counts = await stage.RunAsync(context, cancellationToken);
            status = StageStatus.Succeeded;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status = StageStatus.Interrupted;
            error = "stopped before the stage finished (Ctrl+C, SIGTERM or service stop); re-run the stage";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            status = StageStatus.Failed;
            error = OneLine(ex);
            // Known failures carry their whole story in the one-line reason; a stack trace only for the unexpected.
            var known = ex is CrmUnavailableException or StageFailedException or ArchiveWriteException or DataFolderUnavailableException or Platform.PlatformException;
            Log.StageFailed(logger, known ? null : ex, stageText, attempt, error);
        }

        if (status != StageStatus.Succeeded)
        {
            counts.PlatformCalls = progress.PlatformCalls;
        }

        if (folder is not null)
        {
            try
            {
                await archive.SealAsync(folder, status, CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArchiveWriteException)
            {
                Log.SealFailed(logger, ex, stageText, attempt);
                error ??= "the archive manifest could not be written: " + OneLine(ex);
                status = status == StageStatus.Succeeded ? StageStatus.Failed : status;
                try
                {
                    archive.DiscardUnsealed(folder);
                }
                catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
                {
                    // audit verify names whatever is left; the stage is failing either way.
                    Log.SealFailed(logger, cleanup, stageText, attempt);
                }
            }
        }

        var duration = timeProvider.GetElapsedTime(started);
        if (!dryRun)
        {
            await journal.FinishAttemptAsync(attemptId, status, counts, error, timeProvider.GetUtcNow(), (long)duration.TotalMilliseconds, CancellationToken.None);
        }

        var statusText = status.ToText();
        var seconds = duration.TotalSeconds;
        Log.StageEnded(logger, stageText, attempt, statusText, counts.RowsIn, counts.RowsOut, counts.RowsRejected, counts.RowsExcluded, seconds);
        return new StageOutcome(stage.Name, attempt, status, counts, duration, error) { Overrides = request.Overrides.ForStage(stage.Name) };
    }

    private static string OneLine(Exception ex)
    {
        var message = ex.Message;
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
