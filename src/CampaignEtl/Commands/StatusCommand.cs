using System.Globalization;
using System.Text.Json;
using CampaignEtl.Cli;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary><c>status</c>: runs, stage attempts, counts, durations and errors; a table for people, JSON for machines.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> ExecuteAsync(IServiceProvider services, string? runId, bool json, int limit, CancellationToken cancellationToken)
    {
        var data = services.GetRequiredService<IOptions<DataOptions>>().Value;
        if (!File.Exists(data.JournalPath))
        {
            await WriteAsync(json, new { runs = Array.Empty<object>() }, "No runs yet: the journal does not exist at " + data.JournalPath);
            return ExitCodes.Success;
        }

        var journal = await RunJournal.OpenAsync(data.JournalPath, cancellationToken);
        IReadOnlyList<RunRecord> runs;
        if (runId is null)
        {
            runs = await journal.ListRunsAsync(limit, cancellationToken);
        }
        else
        {
            var run = await journal.GetRunAsync(runId, cancellationToken);
            if (run is null)
            {
                await Console.Error.WriteLineAsync($"error: --run-id {runId}: no such run in the journal");
                return ExitCodes.Usage;
            }

            runs = [run];
        }

        var views = new List<object>();
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var holder = await journal.GetLockHolderAsync(cancellationToken);
        if (holder is not null)
        {
            text.WriteLine($"Lock held by run {holder.RunId} (pid {holder.ProcessId} on {holder.Host}) since {holder.AcquiredAt}");
        }

        foreach (var run in runs)
        {
            var attempts = await journal.ListAttemptsAsync(run.RunId, cancellationToken);
            var attemptViews = new List<object>();
            text.WriteLine($"Run {run.RunId}  business date {run.BusinessDate:yyyy-MM-dd} ({run.TimeZone})  trigger {run.Trigger}  created {run.CreatedAt}{(run.PurgedAt is null ? "" : "  archive purged " + run.PurgedAt)}");
            text.WriteLine($"  {"stage",-9} {"attempt",7} {"status",-11} {"rows in",10} {"rows out",10} {"rejected",9} {"excluded",9} {"calls",7} {"duration",10}  {"files",5}  error");
            foreach (var a in attempts)
            {
                var files = await journal.ListFilesAsync(a.Id, cancellationToken);
                var seconds = a.DurationMs is { } ms ? (ms / 1000.0).ToString("0.00", CultureInfo.InvariantCulture) + " s" : "-";
                text.WriteLine($"  {a.Stage.ToText(),-9} {a.Attempt,7} {a.Status.ToText(),-11} {a.RowsIn,10:N0} {a.RowsOut,10:N0} {a.RowsRejected,9:N0} {a.RowsExcluded,9:N0} {a.PlatformCalls,7:N0} {seconds,10}  {files.Count,5}  {a.Error}");
                if (a.Overrides is not null)
                {
                    text.WriteLine($"  {"",-9} {"",7} override: {a.Overrides}");
                }

                attemptViews.Add(new
                {
                    stage = a.Stage.ToText(),
                    attempt = a.Attempt,
                    status = a.Status.ToText(),
                    startedAt = a.StartedAt,
                    endedAt = a.EndedAt,
                    durationMs = a.DurationMs,
                    rowsIn = a.RowsIn,
                    rowsOut = a.RowsOut,
                    rowsRejected = a.RowsRejected,
                    rowsExcluded = a.RowsExcluded,
                    platformCalls = a.PlatformCalls,
                    counts = a.CountsJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, long>>(a.CountsJson),
                    error = a.Error,
                    overrides = a.Overrides,
                    files = files.Select(f => new { f.Name, path = f.RelativePath, f.Kind, f.Direction, f.Rows, f.Bytes, f.Sha256 }),
                });
            }

            views.Add(new
            {
                runId = run.RunId,
                businessDate = run.BusinessDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                timeZone = run.TimeZone,
                trigger = run.Trigger,
                createdAt = run.CreatedAt,
                purgedAt = run.PurgedAt,
                platformCalls = attempts.Sum(a => a.PlatformCalls),
                attempts = attemptViews,
            });
        }

        if (runs.Count == 0)
        {
            text.WriteLine("No runs yet.");
        }

        await WriteAsync(json, new { lockHolder = holder, runs = views }, text.ToString().TrimEnd());
        return ExitCodes.Success;
    }

    private static Task WriteAsync(bool json, object value, string text) =>
        Console.Out.WriteLineAsync(json ? JsonSerializer.Serialize(value, Json) : text);
}
