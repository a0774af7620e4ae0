using System.Security.Cryptography;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Sandbox;
using CampaignEtl.Transfer;

namespace CampaignEtl.IntegrationTests.Ingest;

public sealed class IngestStageTests
{
    private const string Name9001 = "responses_9001_20261124_1.csv";
    private const string Name9001Next = "responses_9001_20261125_1.csv";

    [Fact]
    public async Task Run_SandboxMailings_AppliedAsSimulatedAndSecondRunIngestsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(300, withSandbox: true, ct);
        h.Options.SoftBounceThreshold = null;
        var contacts = await h.Workspace.QueryCrmAsync("SELECT id || '|' || email FROM person WHERE entity_type = 'contact' AND email LIKE '_%@_%' ORDER BY id LIMIT 120");
        var recipients = contacts.Select(c => c.Split('|')).Select(c => new SandboxRecipient(c[0], c[1], new Dictionary<string, string?>())).ToList();
        // The demo CRM has a few malformed addresses the platform refuses; the files hold only the members it took.
        (await h.Sandbox!.State.AddRecipientsAsync(IngestHarness.NewsletterDe, recipients, ct)).Count(code => code == 0).ShouldBeGreaterThan(100);
        var rates = new MailingSimulationRates { HardBounce = 0.03, SoftBounce = 0.05, Open = 0.6, Click = 0.4, Unsubscribe = 0.05 };
        var linked = await h.Sandbox.SimulateMailingAsync(9001, IngestHarness.NewsletterDe, 11, new DateOnly(2026, 11, 24), rates, ct);
        var unlinked = await h.Sandbox.SimulateMailingAsync(4242, IngestHarness.NewsletterDe, 12, new DateOnly(2026, 11, 24), rates, ct);
        var linkedRows = File.ReadAllLines(linked.ResponseFile).Skip(1).Select(l => l.Split(',')).ToList();
        var unlinkedRows = File.ReadAllLines(unlinked.ResponseFile).Length - 1;

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        var counts = stage.Counts;
        counts.IsBalanced.ShouldBeTrue();
        counts.RowsIn.ShouldBe(linkedRows.Count + unlinkedRows);
        counts.Details["read:" + Path.GetFileName(linked.ResponseFile)].ShouldBe(linkedRows.Count);
        counts.Details["files-ingested"].ShouldBe(2);
        counts.RowsRejected.ShouldBe(0);
        counts.Details["ignored:mailing-not-linked"].ShouldBe(unlinked.Sends + unlinked.Opens + unlinked.Clicks);
        (linked.SoftBounces + unlinked.SoftBounces).ShouldBeGreaterThan(0);
        counts.PlatformCalls.ShouldBe(2); // login and the soft-bounce threshold, asked once, when the first soft bounce was seen
        counts.Details.Keys.ShouldContain(k => k.StartsWith("changed:", StringComparison.Ordinal));

        // Every clicker of mailing 9001 is a Clicked member of its campaign; hard bounces mark the person.
        var clickers = linkedRows.Where(r => r[0] == "click").Select(r => r[3]).Distinct().Order(StringComparer.Ordinal).ToList();
        var clicked = await h.Workspace.QueryCrmAsync($"SELECT person_id FROM campaign_member WHERE campaign_id = '{IngestHarness.LinkedCampaign}' AND status = 'Clicked' ORDER BY person_id");
        clicked.ShouldBe(clickers);
        var hardBounced = linkedRows.Where(r => r[0] == "hardbounce").Select(r => r[3]).ToList();
        foreach (var id in hardBounced)
        {
            (await h.ValueAsync($"SELECT email_bounced_at IS NOT NULL FROM person WHERE id = '{id}'")).ShouldBe("1");
        }

        (await h.Workspace.QueryCrmAsync("SELECT state FROM ingested_file ORDER BY name")).ShouldBe(["complete", "complete"]);
        h.Workspace.ArchivedFiles(Path.GetFileName(linked.ResponseFile)).ShouldHaveSingleItem();
        File.Exists(linked.ResponseFile).ShouldBeTrue(); // nothing on the drop is moved by default

        var before = await h.CrmSnapshotAsync();
        var again = await h.RunAsync();

        again.Status.ShouldBe(StageStatus.Succeeded, again.Error);
        (again.Counts.RowsIn, again.Counts.RowsOut, again.Counts.PlatformCalls).ShouldBe((0L, 0L, 0L));
        again.Counts.Details["files-already-ingested"].ShouldBe(2);
        h.Workspace.ArchivedFiles(Path.GetFileName(linked.ResponseFile)).ShouldHaveSingleItem();
        (await h.CrmSnapshotAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Run_SameNameOtherContent_FailsNamingItAndOtherFileStillIngested()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Drop("good", Name9001);
        (await h.RunAsync()).Status.ShouldBe(StageStatus.Succeeded);
        var before = Convert.ToHexStringLower(SHA256.HashData(IngestHarness.TestFile("good")));

        h.Drop("good-other-content", Name9001);
        h.Drop("resume", Name9001Next);
        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Failed);
        stage.Error.ShouldBe($"{Name9001} was ingested before with other content (sha256 {before[..12]}…, now "
            + $"{Convert.ToHexStringLower(SHA256.HashData(IngestHarness.TestFile("good-other-content")))[..12]}…); the platform never rewrites a file — check the drop");
        (await h.Workspace.QueryCrmAsync("SELECT name || ':' || state || ':' || sha256 FROM ingested_file ORDER BY name"))
            .ShouldBe([$"{Name9001}:complete:{before}", $"{Name9001Next}:complete:{Convert.ToHexStringLower(SHA256.HashData(IngestHarness.TestFile("resume")))}"]);
        (await h.ValueAsync($"SELECT status FROM campaign_member WHERE campaign_id = '{IngestHarness.LinkedCampaign}' AND person_id = '003900000000001'")).ShouldBe("Clicked");
        (await h.Workspace.QueryCrmAsync($"SELECT 1 FROM campaign_member WHERE campaign_id = '{IngestHarness.LinkedCampaign}' AND person_id = '003900000000002' AND lineage_file LIKE '%{Name9001}'")).ShouldBeEmpty();
        h.Workspace.ArchivedFiles(Name9001).Count().ShouldBe(1); // the other content is never archived as ingested
    }

    [Fact]
    public async Task Run_PartialLedger_ResumesAfterLastLineAndMovesTheFile()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Options.MoveToProcessed = true;
        h.Drop("resume", Name9001Next);
        var sha = Convert.ToHexStringLower(SHA256.HashData(IngestHarness.TestFile("resume")));
        await h.Workspace.ExecuteCrmAsync(
            "INSERT INTO ingested_file (name, sha256, state, last_line, run_id, archive_file, created_at, updated_at) VALUES ($n, $s, 'partial', 3, 'earlier', 'x', '2026-11-25T09:00:00.000Z', '2026-11-25T09:00:00.000Z')",
            ("$n", Name9001Next), ("$s", sha));

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        var counts = stage.Counts;
        (counts.RowsIn, counts.RowsOut, counts.RowsExcluded, counts.RowsRejected).ShouldBe((5L, 3L, 2L, 0L));
        counts.Details["ignored:already-ingested"].ShouldBe(2);
        (await h.ValueAsync($"SELECT state || ':' || last_line FROM ingested_file WHERE name = '{Name9001Next}'")).ShouldBe("complete:6");
        (await h.ValueAsync("SELECT count(*) FROM response_event_ledger")).ShouldBe("3");
        (await h.Workspace.QueryCrmAsync($"SELECT person_id FROM campaign_member WHERE campaign_id = '{IngestHarness.LinkedCampaign}' AND person_id LIKE '0039%' ORDER BY person_id"))
            .ShouldBe(["003900000000001", "003900000000003"]); // line 3 (person 2) was the earlier attempt's
        File.Exists(Path.Combine(h.DropFolder, Name9001Next)).ShouldBeFalse();
        File.Exists(Path.Combine(h.DropFolder, "processed", Name9001Next)).ShouldBeTrue();
    }

    [Fact]
    public async Task Run_BadRows_RejectedWithArchivedFileLineAndReason_RestApplied()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Workspace.MaxRejectRate = 1;
        h.Drop("bad-rows", Name9001);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        var counts = stage.Counts;
        (counts.RowsIn, counts.RowsOut, counts.RowsExcluded, counts.RowsRejected).ShouldBe((10L, 1L, 1L, 8L));
        counts.IsBalanced.ShouldBeTrue();
        counts.Details["read:" + Name9001].ShouldBe(counts.RowsOut + counts.RowsExcluded + counts.RowsRejected);
        counts.Details["ignored:mailing-not-linked"].ShouldBe(1);
        var rejects = h.Rejects();
        rejects.ShouldAllBe(r => r[0].EndsWith($"/ingest/attempt-1/{Name9001}", StringComparison.Ordinal));
        string.Join(' ', rejects.Select(r => $"{r[1]}:{r[5]}:{r[4]}")).ShouldBe(
            "3:unknown-event-type:event-type 4:bad-timestamp:occurred-at 5:bad-mailing-id:mailing-id 6:missing-recipient:recipient-id " +
            "7:bad-list-id:list-id 8:field-count:* 9:unknown-recipient:recipient-id 10:duplicate-row:*");
        rejects.ShouldAllBe(r => !string.Join(',', r).Contains('@'));
        (await h.ValueAsync($"SELECT state FROM ingested_file WHERE name = '{Name9001}'")).ShouldBe("complete");
    }

    [Fact]
    public async Task Run_InvalidUtf8Line_RejectedAndOtherLinesApplied()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Workspace.MaxRejectRate = 1;
        h.Drop("invalid-utf8", Name9001);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        (stage.Counts.RowsIn, stage.Counts.RowsOut, stage.Counts.RowsRejected).ShouldBe((3L, 2L, 1L));
        var reject = h.Rejects().ShouldHaveSingleItem();
        (reject[0].EndsWith("/ingest/attempt-1/" + Name9001, StringComparison.Ordinal), reject[1], reject[5]).ShouldBe((true, "3", "invalid-utf8"));
    }

    [Fact]
    public async Task Run_ExtraColumnsInAnyOrder_AreIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Drop("extra-columns", Name9001);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        (stage.Counts.RowsIn, stage.Counts.RowsOut).ShouldBe((2L, 2L));
        (await h.ValueAsync($"SELECT status FROM campaign_member WHERE campaign_id = '{IngestHarness.LinkedCampaign}' AND person_id = '003900000000001'")).ShouldBe("Opened");
    }

    [Theory]
    [InlineData("empty", "{0}: the file is empty (0 bytes; an export has at least its header line)")]
    [InlineData("bom", "{0}: line 1: the file starts with a UTF-8 byte-order mark, which the platform's export never has (re-saved by an editor?)")]
    [InlineData("missing-column", "{0}: line 1: required column 'occurred-at' is missing (Ingest:Columns; the header has 7 columns)")]
    [InlineData("quote-left-open", "{0}: line 3: a quote opened on line 3 is never closed")]
    public async Task Run_UnusableFile_StageFailsNamingFileAndReason_OtherFileIngested(string scenario, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Drop(scenario, Name9001);
        h.Drop("good", Name9001Next);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Failed);
        var archived = h.Workspace.ArchivedFiles(Name9001).ShouldHaveSingleItem();
        var relative = Path.GetRelativePath(h.Workspace.Data.ArchiveFolder, archived).Replace('\\', '/');
        stage.Error.ShouldBe(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, relative));
        (await h.Workspace.QueryCrmAsync("SELECT name || ':' || state FROM ingested_file ORDER BY name")).ShouldBe([$"{Name9001Next}:complete"]);
        (await h.ValueAsync("SELECT count(*) FROM response_event_ledger")).ShouldBe("2");
        h.Rejects().ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_DryRun_ChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Options.MoveToProcessed = true;
        h.Drop("resume", Name9001Next);
        var before = await h.CrmSnapshotAsync();

        var stage = await h.RunAsync(dryRun: true);

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        (stage.Counts.RowsIn, stage.Counts.RowsOut).ShouldBe((5L, 5L));
        (await h.CrmSnapshotAsync()).ShouldBe(before);
        h.Workspace.ArchivedFiles().ShouldBeEmpty();
        File.Exists(Path.Combine(h.DropFolder, Name9001Next)).ShouldBeTrue();
        Directory.Exists(Path.Combine(h.DropFolder, "processed")).ShouldBeFalse();
        var temp = Path.Combine(h.Workspace.Data.TempFolder, "ingest");
        (!Directory.Exists(temp) || !Directory.EnumerateFileSystemEntries(temp).Any()).ShouldBeTrue();
    }

    [Fact]
    public async Task Run_LastIngestLongAgo_WarnsWithDaysSince()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);

        var first = await h.RunAsync();
        h.Workspace.Time.Advance(TimeSpan.FromDays(3));
        var soon = await h.RunAsync();
        h.Workspace.Time.Advance(TimeSpan.FromDays(20));
        var late = await h.RunAsync();

        first.Status.ShouldBe(StageStatus.Succeeded, first.Error);
        first.Counts.Details.ShouldNotContainKey("days-since-last-ingest");
        soon.Counts.Details.ShouldNotContainKey("days-since-last-ingest");
        late.Status.ShouldBe(StageStatus.Succeeded, late.Error);
        late.Counts.Details["days-since-last-ingest"].ShouldBe(20);
    }

    [Fact]
    public async Task Run_StoppedBetweenFiles_InterruptedAndWhatCommittedStays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await IngestHarness.StartAsync(50, withSandbox: false, ct);
        h.Drop("good", Name9001);
        h.Drop("resume", Name9001Next);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        h.WrapDrop = drop => new StopOnDownload(drop, Name9001Next, stop);

        var stage = await h.RunAsync(cancellationToken: stop.Token);

        stage.Status.ShouldBe(StageStatus.Interrupted);
        (await h.Workspace.QueryCrmAsync("SELECT name || ':' || state FROM ingested_file ORDER BY name")).ShouldBe([$"{Name9001}:complete"]);
        (await h.ValueAsync("SELECT count(*) FROM response_event_ledger")).ShouldBe("2");
        File.Exists(Path.Combine(h.DropFolder, Name9001Next)).ShouldBeTrue();
    }

    /// <summary>A drop on which the download of one file is where the operator pressed Ctrl+C.</summary>
    private sealed class StopOnDownload(IFileDrop inner, string name, CancellationTokenSource stop) : IFileDrop
    {
        public Task<IReadOnlyList<RemoteFileEntry>> ListAsync(string? remoteFolder = null, CancellationToken cancellationToken = default) =>
            inner.ListAsync(remoteFolder, cancellationToken);

        public async Task<DownloadedFile> DownloadAsync(string file, string localTargetPath, CancellationToken cancellationToken = default)
        {
            if (file == name)
            {
                await stop.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return await inner.DownloadAsync(file, localTargetPath, cancellationToken);
        }

        public Task UploadAsync(string localPath, string remoteName, CancellationToken cancellationToken = default) =>
            inner.UploadAsync(localPath, remoteName, cancellationToken);

        public Task MoveToProcessedAsync(string file, CancellationToken cancellationToken = default) =>
            inner.MoveToProcessedAsync(file, cancellationToken);
    }
}
