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
        // With its manifest gone, the second attempt's files are still checked, against what the journal recorded.
        report.Findings.Count.ShouldBe(2);
        report.FilesChecked.ShouldBe(12);
    }

    [Fact]
    public async Task Verify_FileEditedAfterItsManifestWasRemoved_IsNamedFromTheJournal()
    {
        using var workspace = new TestWorkspace();
        await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        var manifest = workspace.ArchivedFiles("manifest.json").Single();
        var edited = ExportFile.Single(workspace, "export_newsletter-de_*.csv");
        Tamper.MakeWritable(edited);
        await File.AppendAllTextAsync(edited, "003999999999999,x@example.com,501,Newsletter DE,email,contact,003999999999999,,,\r\n", TestContext.Current.CancellationToken);
        File.Delete(manifest);

        var report = await VerifyAsync(workspace);

        report.Findings.Select(f => (f.Kind, Path.GetFileName(f.RelativePath))).Order().ShouldBe(
        [
            (AuditFindingKind.Changed, Path.GetFileName(edited)),
            (AuditFindingKind.Removed, "manifest.json"),
        ]);
    }

    [Fact]
    public async Task Verify_FileAndItsManifestEntryEditedTogether_FileIsNamedFromTheJournal()
    {
        using var workspace = new TestWorkspace();
        await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        var manifest = workspace.ArchivedFiles("manifest.json").Single();
        var edited = ExportFile.Single(workspace, "export_newsletter-de_*.csv");
        var before = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(edited, TestContext.Current.CancellationToken)));
        var beforeBytes = new FileInfo(edited).Length;
        Tamper.MakeWritable(edited);
        await File.AppendAllTextAsync(edited, "003999999999999,x@example.com,501,Newsletter DE,email,contact,003999999999999,,,\r\n", TestContext.Current.CancellationToken);
        var after = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(edited, TestContext.Current.CancellationToken)));
        // A forger who rewrites the manifest to match: new hash, new size, one row more.
        Tamper.MakeWritable(manifest);
        var text = await File.ReadAllTextAsync(manifest, TestContext.Current.CancellationToken);
        var document = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        var entry = document["files"]!.AsArray().Single(f => f!["sha256"]!.GetValue<string>() == before)!;
        entry["sha256"] = after;
        entry["bytes"] = new FileInfo(edited).Length;
        entry["rows"] = entry["rows"]!.GetValue<long>() + 1;
        await File.WriteAllTextAsync(manifest, document.ToJsonString(), TestContext.Current.CancellationToken);
        beforeBytes.ShouldBeLessThan(new FileInfo(edited).Length);

        var report = await VerifyAsync(workspace);

        report.Findings.Select(f => (f.Kind, Path.GetFileName(f.RelativePath))).Order().ShouldBe(
        [
            (AuditFindingKind.Changed, Path.GetFileName(edited)),
            (AuditFindingKind.Changed, "manifest.json"),
        ]);
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
