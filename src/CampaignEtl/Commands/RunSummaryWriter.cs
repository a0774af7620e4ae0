using System.Globalization;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.Commands;

/// <summary>The run summary printed at the end of <c>run</c>: per stage rows in, out, rejected, excluded and duration.</summary>
internal static class RunSummaryWriter
{
    public static void Write(RunOutcome outcome, TextWriter output)
    {
        var run = outcome.Run;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Run {run.RunId}  business date {run.BusinessDate:yyyy-MM-dd} ({run.TimeZoneId}){(outcome.DryRun ? "  DRY RUN: nothing was written" : "")}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"stage",-9} {"attempt",7} {"status",-11} {"rows in",10} {"rows out",10} {"rejected",9} {"excluded",9} {"calls",7} {"duration",10}"));
        foreach (var stage in outcome.Stages)
        {
            var c = stage.Counts;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{stage.Stage.ToText(),-9} {stage.Attempt,7} {stage.Status.ToText(),-11} {c.RowsIn,10:N0} {c.RowsOut,10:N0} {c.RowsRejected,9:N0} {c.RowsExcluded,9:N0} {c.PlatformCalls,7:N0} {stage.Duration.TotalSeconds,8:0.00} s"));
            if (stage.Error is not null)
            {
                output.WriteLine("  error: " + stage.Error);
            }

            if (stage.Overrides is not null)
            {
                output.WriteLine("  override: " + stage.Overrides + " (recorded in the journal)");
            }

            foreach (var (key, value) in stage.Counts.Details.Where(d => d.Value != 0))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-60} {value,10:N0}"));
            }
        }

        if (outcome.Stages.Count == 0)
        {
            output.WriteLine("(no stage ran)");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Platform calls: {outcome.Stages.Sum(s => s.Counts.PlatformCalls):N0}"));
        output.WriteLine(outcome.Succeeded ? "Result: succeeded" : "Result: FAILED (re-run the failed stage with: run --run-id " + run.RunId + " --stage <stage>)");
    }
}
