using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Cronos;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Worker;

/// <summary>
/// The <c>worker</c> verb: runs the nightly job on the cron schedule. At start it catches up a run
/// whose scheduled time passed while nothing ran. On stop (SIGTERM, Ctrl+C, service stop) the
/// batches in flight finish and the stage is recorded as interrupted.
/// </summary>
internal sealed partial class NightlyWorker(
    PipelineRunner runner,
    IOptions<ScheduleOptions> schedule,
    IOptions<DataOptions> data,
    TimeProvider timeProvider,
    ILogger<NightlyWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cron = CronExpression.Parse(schedule.Value.Cron);
        TimeZones.TryFind(schedule.Value.TimeZone, out var zone);
        if (schedule.Value.CatchUpMissedRun)
        {
            await RunOnceAsync(RunTrigger.CatchUp, stoppingToken, () => MissedRunAsync(cron, zone, stoppingToken));
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = timeProvider.GetUtcNow();
            var next = cron.GetNextOccurrence(now, zone);
            if (next is null)
            {
                LogNoNextOccurrence(logger, schedule.Value.Cron);
                return;
            }

            LogNextRun(logger, next.Value);
            try
            {
                await Task.Delay(next.Value - now, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await RunOnceAsync(RunTrigger.Schedule, stoppingToken);
        }
    }

    internal async Task<bool> MissedRunAsync(CronExpression cron, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var last = cron.GetOccurrences(now.AddDays(-8), now, zone, fromInclusive: true, toInclusive: true).LastOrDefault();
        if (last == default)
        {
            return false;
        }

        if (!File.Exists(data.Value.JournalPath))
        {
            return true;
        }

        var journal = await RunJournal.OpenAsync(data.Value.JournalPath, cancellationToken);
        var lastRun = await journal.LastRunCreatedAtAsync(cancellationToken);
        return lastRun is null || lastRun < last;
    }

    private async Task RunOnceAsync(RunTrigger trigger, CancellationToken stoppingToken, Func<Task<bool>>? due = null)
    {
        try
        {
            if (due is not null && !await due())
            {
                return;
            }

            var outcome = await runner.RunAsync(new RunRequest([], null, null, false, trigger), stoppingToken);
            LogRunEnded(logger, outcome.Run.RunId, outcome.Succeeded);
        }
        catch (RunLockedException ex)
        {
            LogLocked(logger, ex.Message);
        }
        catch (ConfigurationProblemsException ex)
        {
            LogConfiguration(logger, ex.Problems.Count, string.Join("; ", ex.Problems));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the runner has recorded the stage as interrupted.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A service outlives one bad night (a full disk, an unreachable folder): say why and wait
            // for the next scheduled time instead of ending the host with exit code 0.
            LogRunFailed(logger, ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Scheduled run failed before its stages could run: {ErrorType}: {Reason}; next attempt at the next scheduled time")]
    private static partial void LogRunFailed(ILogger logger, string errorType, string reason);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Next nightly run at {NextRun:u}")]
    private static partial void LogNextRun(ILogger logger, DateTimeOffset nextRun);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Run {RunId} ended; succeeded: {Succeeded}")]
    private static partial void LogRunEnded(ILogger logger, string runId, bool succeeded);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Scheduled run skipped: {Reason}")]
    private static partial void LogLocked(ILogger logger, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Scheduled run refused: {Count} configuration problems: {Problems}")]
    private static partial void LogConfiguration(ILogger logger, int count, string problems);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "The cron expression {Cron} has no next occurrence; the worker stops")]
    private static partial void LogNoNextOccurrence(ILogger logger, string cron);
}
