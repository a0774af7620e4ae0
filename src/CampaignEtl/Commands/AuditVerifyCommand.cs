using CampaignEtl.Cli;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Journal;
using CampaignEtl.Pipeline.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary><c>audit verify</c>: exit 0 when the archive is intact, otherwise 4 and one line per finding.</summary>
internal static class AuditVerifyCommand
{
    public static async Task<int> ExecuteAsync(IServiceProvider services, string? runId, CancellationToken cancellationToken)
    {
        var data = services.GetRequiredService<IOptions<DataOptions>>().Value;
        var journal = await RunJournal.OpenAsync(data.JournalPath, cancellationToken);
        if (runId is not null && await journal.GetRunAsync(runId, cancellationToken) is null)
        {
            await Console.Error.WriteLineAsync($"error: --run-id {runId}: no such run in the journal");
            return ExitCodes.Usage;
        }

        var report = await new AuditVerifier(new ArchiveLayout(data.ArchiveFolder), journal).VerifyAsync(runId, cancellationToken);
        foreach (var finding in report.Findings)
        {
            Console.Out.WriteLine($"{finding.KindText,-12} {finding.RelativePath}  ({finding.Detail})");
        }

        Console.Out.WriteLine(report.IsIntact
            ? $"Archive intact: {report.ManifestsChecked} manifests, {report.FilesChecked} files verified (SHA-256, size, rows, chain)."
            : $"Archive NOT intact: {report.Findings.Count} finding(s) in {report.ManifestsChecked} manifests, {report.FilesChecked} files.");
        return report.IsIntact ? ExitCodes.Success : ExitCodes.AuditFindings;
    }
}
