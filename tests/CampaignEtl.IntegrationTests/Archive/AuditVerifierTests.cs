using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Archive;

namespace CampaignEtl.IntegrationTests.Archive;

public sealed class AuditVerifierTests
{
    [Fact]
    public async Task Verify_UntouchedArchiveOfTwoRuns_IsIntact()
    {
        using var workspace = new TestWorkspace();
        var first = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        await workspace.RunExportAsync(first.Run.RunId, cancellationToken: TestContext.Current.CancellationToken);
        workspace.Time.Advance(TimeSpan.FromDays(1));
        await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        var report = await VerifyAsync(workspace);

        report.Findings.ShouldBeEmpty();
        report.ManifestsChecked.ShouldBe(3);
        report.FilesChecked.ShouldBe(18);
    }

    [Fact]
    public async Task Verify_EditedRemovedAndAddedFiles_AreEachNamed()
    {
        using var workspace = new TestWorkspace();
        await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        var edited = ExportFile.Single(workspace, "export_newsletter-de_*.csv");
        var removed = ExportFile.Single(workspace, "rejects_export_product-updates-dach_*.csv");
        var added = Path.Combine(Path.GetDirectoryName(edited)!, "smuggled.csv");
        Tamper.MakeWritable(edited);
        await File.AppendAllTextAsync(edited, "003999999999999,x@example.com,501,Newsletter DE,email,contact,003999999999999,,,\r\n", TestContext.Current.CancellationToken);
        File.Delete(removed);
        await File.WriteAllTextAsync(added, "a,b\r\n1,2\r\n", TestContext.Current.CancellationToken);

        var report = await VerifyAsync(workspace);

        report.Findings.Select(f => (f.Kind, Path.GetFileName(f.RelativePath))).Order().ShouldBe(
        [
            (AuditFindingKind.Changed, Path.GetFileName(edited)),
            (AuditFindingKind.Removed, Path.GetFileName(removed)),
            (AuditFindingKind.Added, "smuggled.csv"),
        ]);
    }

    [Fact]
    public async Task Verify_EditedOrRemovedManifest_IsNamed()
    {
        using var workspace = new TestWorkspace();
        var first = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        await workspace.RunExportAsync(first.Run.RunId, cancellationToken: TestContext.Current.CancellationToken);
        var manifests = workspace.ArchivedFiles("manifest.json").Order().ToList();
        Tamper.MakeWritable(manifests[0]);
        var text = await File.ReadAllTextAsync(manifests[0], TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(manifests[0], text.Replace("\"rows\": ", "\"rows\": 1", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        File.Delete(manifests[1]);

        var report = await VerifyAsync(workspace);

        report.Findings.ShouldContain(f => f.Kind == AuditFindingKind.Changed && f.RelativePath.EndsWith("attempt-1/manifest.json", StringComparison.Ordinal));
        report.Findings.ShouldContain(f => f.Kind == AuditFindingKind.Removed && f.RelativePath.EndsWith("attempt-2/manifest.json", StringComparison.Ordinal));
        // With its manifest gone, the second attempt's files are listed nowhere any more.
        report.Findings.Count(f => f.Kind == AuditFindingKind.Added).ShouldBe(6);
    }

    [Fact]
    public async Task Purge_RunsOlderThanRetention_AreRemovedRecordedAndVerifyStillHolds()
    {
        using var workspace = new TestWorkspace();
        workspace.RetentionDays = 30;
        var old = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        workspace.Time.Advance(TimeSpan.FromDays(45));
        var recent = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        Directory.Exists(Path.Combine(workspace.Data.ArchiveFolder, "2026", "11", "24", old.Run.RunId)).ShouldBeFalse();
        workspace.ArchivedFiles("purge-*.json").ShouldHaveSingleItem();
        var journal = await workspace.JournalAsync();
        (await journal.GetRunAsync(old.Run.RunId, TestContext.Current.CancellationToken))!.PurgedAt.ShouldNotBeNull();
        var report = await VerifyAsync(workspace);
        report.Findings.ShouldBeEmpty();
        report.ManifestsChecked.ShouldBe(2);

        // The purge record is itself in the chain: editing it is caught.
        var purge = workspace.ArchivedFiles("purge-*.json").Single();
        Tamper.MakeWritable(purge);
        await File.AppendAllTextAsync(purge, " ", TestContext.Current.CancellationToken);
        (await VerifyAsync(workspace)).Findings.ShouldHaveSingleItem().Kind.ShouldBe(AuditFindingKind.Changed);
        recent.Succeeded.ShouldBeTrue();
    }

    private static async Task<AuditReport> VerifyAsync(TestWorkspace workspace) =>
        await new AuditVerifier(new ArchiveLayout(workspace.Data.ArchiveFolder), await workspace.JournalAsync())
            .VerifyAsync(null, TestContext.Current.CancellationToken);
}
