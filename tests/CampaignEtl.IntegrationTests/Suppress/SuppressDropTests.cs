using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Sandbox;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.IntegrationTests.Suppress;

public sealed class SuppressDropTests
{
    private static readonly string TestData = Path.Combine(AppContext.BaseDirectory, "testdata", "suppress");

    [Fact]
    public async Task Run_PlatformExportFiles_CrmEndsAsExpectedAndSecondRunChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(300, ct);
        h.Options.Source = SuppressOptions.SourceDrop;
        h.Options.DropFolder = h.Sandbox.DropFolder;
        var people = await h.PeopleAsync(0, 3);
        var (clientWide, perList, outbounced) = (people[0], people[1], people[2]);
        await h.Workspace.ExecuteCrmAsync("UPDATE consent SET changed_at = '2026-01-01T00:00:00.000Z'");
        await h.Sandbox.State.AddUnsubscribeAsync(clientWide.Id, null, ct);
        await h.Sandbox.State.AddUnsubscribeAsync(perList.Id, SuppressHarness.NewsletterDe, ct);
        await h.Sandbox.State.AddUnsubscribeAsync("003UNKNOWN00001", null, ct);
        await h.Sandbox.State.SetBounceCountAsync(outbounced.Email, BounceCategory.Hard, 3, ct);
        await h.Sandbox.WriteSuppressionExportsAsync(new DateOnly(2026, 11, 23), ct);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.IsBalanced.ShouldBeTrue();
        (stage.Counts.RowsIn, stage.Counts.RowsOut, stage.Counts.RowsRejected, stage.Counts.PlatformCalls).ShouldBe((4L, 3L, 1L, 0L));
        (await h.ValueAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{clientWide.Id}'")).ShouldBe("1");
        (await h.ValueAsync($"SELECT status FROM consent WHERE person_id = '{perList.Id}' AND opt_in_id = 501")).ShouldBe("revoked");
        (await h.ValueAsync($"SELECT email_bounced_reason FROM person WHERE id = '{outbounced.Id}'")).ShouldBe("outbounce (hard bounces 3, soft bounces 0)");

        // The platform's files are archived as read, and rejects point at the archived result file and line.
        h.Workspace.ArchivedFiles("outbounces_20261123_1.csv").ShouldHaveSingleItem();
        h.Workspace.ArchivedFiles("unsubscribes_20261123_1.csv").ShouldHaveSingleItem();
        var reject = h.Rejects().ShouldHaveSingleItem();
        reject[0].ShouldEndWith($"/suppress/attempt-1/unsubscriptions_{h.RunId}_attempt-1.csv");
        reject[3].ShouldBe("003UNKNOWN00001");
        reject[5].ShouldBe("unknown-recipient");
        var rows = ExportFile.Read(ExportFile.Single(h.Workspace, $"unsubscriptions_{h.RunId}_*.csv")).Rows;
        rows[int.Parse(reject[1]) - 2][0].ShouldBe("003UNKNOWN00001");

        // Tomorrow's full export repeats everything: nothing changes.
        var before = await h.CrmSnapshotAsync();
        await h.Sandbox.WriteSuppressionExportsAsync(new DateOnly(2026, 11, 24), ct);
        var again = await h.RunAsync();

        again.Status.ShouldBe(StageStatus.Succeeded, again.Error);
        (again.Counts.RowsIn, again.Counts.RowsOut, again.Counts.RowsExcluded, again.Counts.RowsRejected).ShouldBe((4L, 0L, 3L, 1L));
        h.Workspace.ArchivedFiles("outbounces_20261124_1.csv").ShouldHaveSingleItem();
        (await h.CrmSnapshotAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Run_NoDropFolder_FetchesNewestFilesFromTheFileDrop()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(100, ct);
        h.Options.Source = SuppressOptions.SourceDrop;
        h.FileDrop = FileDrops.Create(
            new TransferOptions { Protocol = TransferProtocol.Local, LocalFolder = h.Sandbox.DropFolder },
            TimeProvider.System, NullLoggerFactory.Instance);
        var person = (await h.PeopleAsync(0, 1))[0];
        await h.Sandbox.WriteSuppressionExportsAsync(new DateOnly(2026, 11, 22), ct);
        await h.Sandbox.State.AddUnsubscribeAsync(person.Id, null, ct);
        await h.Sandbox.WriteSuppressionExportsAsync(new DateOnly(2026, 11, 23), ct);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        (stage.Counts.RowsIn, stage.Counts.RowsOut).ShouldBe((1L, 1L));
        (await h.ValueAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{person.Id}'")).ShouldBe("1");
        h.Workspace.ArchivedFiles("unsubscribes_20261123_1.csv").ShouldHaveSingleItem();
        h.Workspace.ArchivedFiles("unsubscribes_20261122_1.csv").ShouldBeEmpty();
        Directory.EnumerateFileSystemEntries(h.Workspace.Data.TempFolder, "suppress-*").ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_NoDropFolderAndNoFileDrop_FailsSayingSo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(10, ct);
        h.Options.Source = SuppressOptions.SourceDrop;

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Failed);
        stage.Error.ShouldNotBeNull().ShouldContain("needs the file drop (Transfer)");
    }

    [Theory]
    [InlineData("outbounces_empty.csv", "outbounces_20261124_1.csv: the file is empty (0 bytes")]
    [InlineData("outbounces_missing-column.csv", "outbounces_20261124_1.csv: line 1: required column 'outbounced-at' is missing")]
    [InlineData("outbounces_quote-left-open.csv", "outbounces_20261124_1.csv: line 3: a quote opened on line 3 is never closed")]
    public async Task Run_BrokenFile_StageFailsNamingArchivedFileAndReason(string scenario, string expected)
    {
        await using var h = await DropAsync(scenario, "unsubscribes_header-only.csv");

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Failed);
        stage.Error.ShouldNotBeNull();
        stage.Error.ShouldContain("/suppress/attempt-1/" + expected);
        (await h.Workspace.QueryCrmAsync("SELECT count(*) FROM suppression_event")).ShouldBe(["0"]);
    }

    [Fact]
    public async Task Run_HeaderOnlyFiles_SucceedWithNoRows()
    {
        await using var h = await DropAsync("outbounces_header-only.csv", "unsubscribes_header-only.csv");

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        (stage.Counts.RowsIn, stage.Counts.RowsOut).ShouldBe((0L, 0L));
        h.Rejects().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("outbounces_bad-dates.csv", "unsubscribes_header-only.csv", "outbounces", "3:bad-date:outbounced-at 4:bad-date:outbounced-at 5:bad-number:hard-bounces")]
    [InlineData("outbounces_invalid-utf8.csv", "unsubscribes_header-only.csv", "outbounces", "3:invalid-utf8:*")]
    [InlineData("outbounces_header-only.csv", "unsubscribes_bad-rows.csv", "unsubscribes", "3:bad-number:list-id 4:bad-date:unsubscribed-at 5:field-count:*")]
    public async Task Run_BadRows_RejectedWithArchivedFileAndLine_RestRead(string outbounces, string unsubscribes, string file, string expected)
    {
        await using var h = await DropAsync(outbounces, unsubscribes);
        h.Workspace.MaxRejectRate = 1;

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.IsBalanced.ShouldBeTrue();
        var rejects = h.Rejects();
        var fromFile = rejects.Where(r => r[0].EndsWith($"/suppress/attempt-1/{file}_20261124_1.csv", StringComparison.Ordinal)).ToList();
        string.Join(' ', fromFile.Select(r => $"{r[1]}:{r[5]}:{r[4]}")).ShouldBe(expected);

        // The rows that did parse went on as events (unknown to this CRM): read = events + rejected, per file.
        var read = stage.Counts.Details.Where(d => d.Key.StartsWith("read:", StringComparison.Ordinal)).Sum(d => d.Value);
        read.ShouldBe(stage.Counts.RowsIn);
        (rejects.Count(r => r[5] == "unknown-recipient") + fromFile.Count).ShouldBe((int)stage.Counts.RowsIn);
    }

    [Fact]
    public async Task Run_ExtraColumnsInAnyOrder_AreIgnored()
    {
        await using var h = await DropAsync("outbounces_extra-columns.csv", "unsubscribes_header-only.csv");
        h.Workspace.MaxRejectRate = 1;

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        var bounce = ExportFile.Read(ExportFile.Single(h.Workspace, $"bounces_{h.RunId}_*.csv")).Rows.ShouldHaveSingleItem();
        bounce[1..4].ShouldBe(["first@example.org", "outbounce", "2026-11-23T08:00:00.000Z"]);
        h.Rejects().ShouldHaveSingleItem()[5].ShouldBe("unknown-recipient");
    }

    [Fact]
    public async Task Run_SameEventTwiceInAFile_SecondIsExcludedAsDuplicate()
    {
        await using var h = await DropAsync("outbounces_header-only.csv", "unsubscribes_duplicates.csv");
        h.Workspace.MaxRejectRate = 1;

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.IsBalanced.ShouldBeTrue();
        (stage.Counts.RowsIn, stage.Counts.RowsExcluded, stage.Counts.RowsRejected).ShouldBe((3L, 1L, 2L));
        stage.Counts.Details["excluded:duplicate"].ShouldBe(1);
        ExportFile.Read(ExportFile.Single(h.Workspace, $"unsubscriptions_{h.RunId}_*.csv")).Rows.Count.ShouldBe(2);
    }

    /// <summary>A harness whose drop folder holds the two scenario files under the platform's names.</summary>
    private static async Task<SuppressHarness> DropAsync(string outbounces, string unsubscribes)
    {
        var h = await SuppressHarness.StartAsync(50, TestContext.Current.CancellationToken);
        var folder = Path.Combine(h.Workspace.Folder, "drop");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(TestData, outbounces), Path.Combine(folder, "outbounces_20261124_1.csv"));
        File.Copy(Path.Combine(TestData, unsubscribes), Path.Combine(folder, "unsubscribes_20261124_1.csv"));
        h.Options.Source = SuppressOptions.SourceDrop;
        h.Options.DropFolder = folder;
        return h;
    }
}
