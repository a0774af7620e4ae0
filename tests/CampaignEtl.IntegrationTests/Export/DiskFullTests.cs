using System.Diagnostics;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Archive;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.IntegrationTests.Export;

/// <summary>A real full disk: the archive folder is a 64 KiB tmpfs (needs root and mount; skipped, visibly, elsewhere).</summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task Run_ArchiveDiskFull_FailsWithOneLineReasonAndLeavesNoPartialFileOrManifest()
    {
        // Far more rows than the bounded blocks hold (BatchSize 64 x BoundedCapacity 4): the failed
        // write must stop the readers, not leave them waiting on full buffers.
        using var workspace = new TestWorkspace(contacts: 8000);
        Directory.CreateDirectory(workspace.Data.ArchiveFolder);
        if (!OperatingSystem.IsLinux() || !await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", workspace.Data.ArchiveFolder))
        {
            Assert.Skip("needs Linux and permission to mount a tmpfs (root); not run here");
        }

        try
        {
            var outcome = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

            var stage = outcome.Stages.Single();
            stage.Status.ShouldBe(StageStatus.Failed);
            stage.Error!.ShouldMatch("^cannot write '[^']+' to the archive: No space left on device.*");
            stage.Error!.ShouldNotContain("\n");
            workspace.ArchivedFiles("*.tmp").ShouldBeEmpty();
            foreach (var manifest in workspace.ArchivedFiles("manifest.json"))
            {
                System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(manifest, TestContext.Current.CancellationToken)).Dispose();
            }

            var report = await new AuditVerifier(new ArchiveLayout(workspace.Data.ArchiveFolder), await workspace.JournalAsync())
                .VerifyAsync(null, TestContext.Current.CancellationToken);
            report.Findings.ShouldBeEmpty();
        }
        finally
        {
            await RunAsync("umount", workspace.Data.ArchiveFolder);
        }
    }

    private static async Task<bool> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
