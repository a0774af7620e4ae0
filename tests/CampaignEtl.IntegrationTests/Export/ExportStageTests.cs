using CampaignEtl.Crm.Demo;
using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Runs;

namespace CampaignEtl.IntegrationTests.Export;

public sealed class ExportStageTests
{
    [Fact]
    public async Task Run_GeneratedCrm_CountsAddUpAndMatchAnIndependentQuery()
    {
        using var workspace = new TestWorkspace(contacts: 600);
        var outcome = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        var stage = outcome.Stages.ShouldHaveSingleItem();
        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.IsBalanced.ShouldBeTrue();

        // Independent of the product's SQL: who should survive the rules for Newsletter DE (before the email check).
        var eligible = await workspace.QueryCrmAsync("""
            SELECT p.id FROM person p
            JOIN marketing_list_member m ON m.person_id = p.id JOIN marketing_list l ON l.id = m.list_id AND l.name = 'Newsletter DE'
            JOIN consent c ON c.person_id = p.id AND c.opt_in_id = 501 AND c.status = 'granted'
            WHERE p.is_converted = 0 AND p.has_opted_out_of_email = 0 AND p.email_bounced_at IS NULL
              AND (p.email IS NULL OR lower(trim(p.email)) NOT LIKE '%@blocked.example')
            """);
        var selected = await workspace.QueryCrmAsync("SELECT m.person_id FROM marketing_list_member m WHERE m.list_id = 1");

        var (header, rows) = ExportFile.Read(ExportFile.Single(workspace, "export_newsletter-de_*.csv"));
        var (_, rejects) = ExportFile.Read(ExportFile.Single(workspace, "rejects_export_newsletter-de_*.csv"));
        var details = stage.Counts.Details;
        details["list:newsletter-de:selected"].ShouldBe(selected.Count);
        details["list:newsletter-de:exported"].ShouldBe(rows.Count);
        (rows.Count + rejects.Count).ShouldBe(eligible.Count);
        rows.Select(r => r[0]).Concat(rejects.Select(r => r[3])).Order().ShouldBe(eligible.Order());

        header.ShouldBe(["recipient-id", "email", "opt-in-id", "description", "media-type", "entity-type", "entity-id", "company", "firstname", "lastname"]);
        rows.Select(r => r[0]).Distinct().Count().ShouldBe(rows.Count);
        rows.ShouldAllBe(r => r[2] == "501" && r[3] == "Newsletter DE" && r[4] == "email" && r[0] == r[6]);
        rejects.ShouldAllBe(r => r[0] == "crm:person" && r[4] == "email" && (r[5] == "invalid-email" || r[5] == "missing-email"));
    }

    [Fact]
    public async Task Run_PersonRules_OnlyGrantedUnbouncedNotOptedOutUnblockedUnconvertedAreExported()
    {
        using var workspace = new TestWorkspace(contacts: 300);
        workspace.Lists.RemoveAt(1);
        var candidates = await workspace.QueryCrmAsync("""
            SELECT p.id FROM person p JOIN marketing_list_member m ON m.person_id = p.id AND m.list_id = 1
            JOIN consent c ON c.person_id = p.id AND c.opt_in_id = 501 AND c.status = 'granted'
            WHERE p.entity_type = 'contact' AND p.has_opted_out_of_email = 0 AND p.email_bounced_at IS NULL
              AND p.email LIKE '%@example.com' AND p.email NOT LIKE '% %'
            ORDER BY p.id LIMIT 6
            """);
        candidates.Count.ShouldBe(6);
        var (bounced, optedOut, revoked, blocked, noConsent, control) = (candidates[0], candidates[1], candidates[2], candidates[3], candidates[4], candidates[5]);
        await workspace.ExecuteCrmAsync("UPDATE person SET email_bounced_at = '2026-11-20T00:00:00.000Z', email_bounced_reason = 'hard' WHERE id = $id", ("$id", bounced));
        await workspace.ExecuteCrmAsync("UPDATE person SET has_opted_out_of_email = 1 WHERE id = $id", ("$id", optedOut));
        await workspace.ExecuteCrmAsync("UPDATE consent SET status = 'revoked' WHERE person_id = $id AND opt_in_id = 501", ("$id", revoked));
        await workspace.ExecuteCrmAsync("INSERT INTO blocklist_entry (pattern, added_at, source) SELECT lower(email), '2026-11-20T00:00:00.000Z', 'test' FROM person WHERE id = $id", ("$id", blocked));
        await workspace.ExecuteCrmAsync("DELETE FROM consent WHERE person_id = $id AND opt_in_id = 501", ("$id", noConsent));

        // A lead in the list with a granted consent, converted to a contact: its contact is the record that counts.
        var lead = (await workspace.QueryCrmAsync("""
            SELECT p.id FROM person p JOIN consent c ON c.person_id = p.id AND c.opt_in_id = 501 AND c.status = 'granted'
            WHERE p.entity_type = 'lead' AND p.is_converted = 0 AND p.email LIKE '%@example.com' LIMIT 1
            """)).ShouldHaveSingleItem();
        await workspace.ExecuteCrmAsync("INSERT OR IGNORE INTO marketing_list_member (list_id, person_id, added_at) VALUES (1, $id, '2026-11-20T00:00:00.000Z')", ("$id", lead));
        var before = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        var exportedBefore = ExportFile.Read(ExportFile.Single(workspace, "export_newsletter-de_*attempt-1.csv")).Rows.Select(r => r[0]).ToList();
        exportedBefore.ShouldContain(lead);

        await workspace.ExecuteCrmAsync("UPDATE person SET is_converted = 1, converted_contact_id = $c WHERE id = $id", ("$id", lead), ("$c", control));
        var after = await workspace.RunExportAsync(before.Run.RunId, cancellationToken: TestContext.Current.CancellationToken);

        var exported = ExportFile.Read(ExportFile.Single(workspace, "export_newsletter-de_*attempt-2.csv")).Rows.Select(r => r[0]).ToList();
        exported.ShouldContain(control);
        exported.ShouldNotContain(bounced);
        exported.ShouldNotContain(optedOut);
        exported.ShouldNotContain(revoked);
        exported.ShouldNotContain(blocked);
        exported.ShouldNotContain(noConsent);
        exported.ShouldNotContain(lead);
        var details = after.Stages.Single().Counts.Details;
        foreach (var rule in new[] { "email-bounced", "email-opted-out", "consent-revoked", "blocklisted", "no-consent", "lead-converted" })
        {
            details["list:newsletter-de:excluded:" + rule].ShouldBeGreaterThan(0, rule);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Run_ReadPartitions_GiveTheSameFilesAsTwoReadersInRecipientIdOrder(int partitions)
    {
        using var twoReaders = new TestWorkspace(contacts: 700, seed: 11);
        using var other = new TestWorkspace(contacts: 700, seed: 11) { ReadPartitions = partitions };
        await twoReaders.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        await other.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        foreach (var pattern in new[] { "export_newsletter-de_*.csv", "rejects_export_newsletter-de_*.csv", "duplicate-emails_newsletter-de_*.csv", "export_product-updates-dach_*.csv" })
        {
            var expected = ExportFile.Read(ExportFile.Single(twoReaders, pattern)).Rows;
            var actual = ExportFile.Read(ExportFile.Single(other, pattern)).Rows;
            actual.ShouldBe(expected, pattern);
        }

        var (_, rows) = ExportFile.Read(ExportFile.Single(other, "export_newsletter-de_*.csv"));
        rows.Select(r => r[0]).ShouldBe(rows.Select(r => r[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_SharedAddresses_DuplicateReportListsExactlyTheExportedRecordsSharingAnAddress()
    {
        using var workspace = new TestWorkspace(contacts: 900, seed: 5);
        var eligible = await workspace.QueryCrmAsync("""
            SELECT p.id FROM person p JOIN marketing_list_member m ON m.person_id = p.id AND m.list_id = 1
            JOIN consent c ON c.person_id = p.id AND c.opt_in_id = 501 AND c.status = 'granted'
            WHERE p.is_converted = 0 AND p.has_opted_out_of_email = 0 AND p.email_bounced_at IS NULL AND p.email LIKE '%@example.com'
            ORDER BY p.id DESC LIMIT 5
            """);
        eligible.Count.ShouldBe(5);
        // Shared addresses that differ only in case and surrounding spaces, far apart in id order.
        var shared = new[] { "Shared.One@Example.com", " shared.one@example.com", "SHARED.ONE@example.com ", "two@example.org", "Two@Example.org" };
        for (var i = 0; i < shared.Length; i++)
        {
            await workspace.ExecuteCrmAsync("UPDATE person SET email = $email WHERE id = $id", ("$email", shared[i]), ("$id", eligible[i]));
        }

        await workspace.ExecuteCrmAsync("UPDATE person SET email = 'two@example.org' WHERE id = (SELECT min(person_id) FROM marketing_list_member WHERE list_id = 1)");
        var outcome = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        var (_, rows) = ExportFile.Read(ExportFile.Single(workspace, "export_newsletter-de_*.csv"));
        var expected = rows
            .GroupBy(r => r[1].Trim().ToLowerInvariant(), StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new[] { g.Key, g.Count().ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(' ', g.Select(r => r[0]).Order(StringComparer.Ordinal)) })
            .ToList();
        expected.Count.ShouldBeGreaterThanOrEqualTo(2, "the shared addresses set up above must be in the export for this test to mean anything");

        var (header, duplicates) = ExportFile.Read(ExportFile.Single(workspace, "duplicate-emails_newsletter-de_*.csv"));
        header.ShouldBe(["email", "records", "recipient-ids"]);
        duplicates.ShouldBe(expected);
        outcome.Stages.Single().Counts.Details["list:newsletter-de:duplicate-email-addresses"].ShouldBe(expected.Count);
    }

    [Fact]
    public async Task Run_LeftoverSpillOfAKilledExport_IsRemoved()
    {
        using var workspace = new TestWorkspace(contacts: 200);
        var leftover = Path.Combine(workspace.Data.TempFolder, "duplicates-0123456789abcdef");
        Directory.CreateDirectory(leftover);
        await File.WriteAllTextAsync(Path.Combine(leftover, "000000.run"), "personal data", TestContext.Current.CancellationToken);

        var outcome = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        outcome.Stages.Single().Status.ShouldBe(StageStatus.Succeeded);
        Directory.Exists(leftover).ShouldBeFalse();
    }

    [Fact]
    public async Task Rerun_Export_MakesAttempt2WithNewFileNamesAndTheSameRows()
    {
        using var workspace = new TestWorkspace();
        var first = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        workspace.Time.Advance(TimeSpan.FromHours(3));
        var second = await workspace.RunExportAsync(first.Run.RunId, cancellationToken: TestContext.Current.CancellationToken);

        second.Run.RunId.ShouldBe(first.Run.RunId);
        second.Stages.Single().Attempt.ShouldBe(2);
        var one = ExportFile.Single(workspace, "export_newsletter-de_*attempt-1.csv");
        var two = ExportFile.Single(workspace, "export_newsletter-de_*attempt-2.csv");
        Path.GetFileName(one).ShouldNotBe(Path.GetFileName(two));
        File.ReadAllBytes(two).ShouldBe(File.ReadAllBytes(one));
        var names = workspace.ArchivedFiles("*.csv").Select(Path.GetFileName).ToList();
        names.Distinct().Count().ShouldBe(names.Count);

        var attempts = await (await workspace.JournalAsync()).ListAttemptsAsync(first.Run.RunId, TestContext.Current.CancellationToken);
        attempts.Select(a => (a.Attempt, a.Status)).ShouldBe([(1, StageStatus.Succeeded), (2, StageStatus.Succeeded)]);
    }

    [Fact]
    public async Task Run_ArchivedFiles_AreReadOnlyOwnerOnlyAndFoldersOwnerOnly()
    {
        using var workspace = new TestWorkspace();
        await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        workspace.ArchivedFiles().ShouldNotBeEmpty();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var file in workspace.ArchivedFiles())
        {
            File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead, file);
        }

        foreach (var folder in Directory.EnumerateDirectories(workspace.Data.ArchiveFolder, "*", SearchOption.AllDirectories).Append(workspace.Data.ArchiveFolder))
        {
            File.GetUnixFileMode(folder).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, folder);
        }
    }

    [Fact]
    public async Task Run_DryRun_WritesNoFileAndNoJournalEntry()
    {
        using var workspace = new TestWorkspace();
        var outcome = await workspace.RunExportAsync(dryRun: true, cancellationToken: TestContext.Current.CancellationToken);

        outcome.Succeeded.ShouldBeTrue();
        outcome.Stages.Single().Counts.RowsOut.ShouldBeGreaterThan(0);
        workspace.ArchivedFiles().ShouldBeEmpty();
        (await (await workspace.JournalAsync()).ListRunsAsync(10, TestContext.Current.CancellationToken)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_DryRunAfterARealRun_LeavesTheJournalFileUnchanged()
    {
        using var workspace = new TestWorkspace();
        await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var before = await File.ReadAllBytesAsync(workspace.Data.JournalPath, TestContext.Current.CancellationToken);

        var outcome = await workspace.RunExportAsync(dryRun: true, cancellationToken: TestContext.Current.CancellationToken);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        outcome.Succeeded.ShouldBeTrue();
        (await File.ReadAllBytesAsync(workspace.Data.JournalPath, TestContext.Current.CancellationToken)).ShouldBe(before);
    }

    [Fact]
    public async Task Run_MissingCrmDatabase_FailsWithOneLineReasonAndLeavesNoPartialFile()
    {
        using var workspace = new TestWorkspace(contacts: 0);
        var outcome = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        var stage = outcome.Stages.Single();
        stage.Status.ShouldBe(StageStatus.Failed);
        stage.Error.ShouldBe($"CRM database not found at '{workspace.Crm.Path}'; create it with 'demo seed' or set Data:CrmDatabase");
        workspace.ArchivedFiles("*.csv").ShouldBeEmpty();
        workspace.ArchivedFiles("*.tmp").ShouldBeEmpty();
        var manifest = File.ReadAllText(ExportFile.Single(workspace, "manifest.json"));
        manifest.ShouldContain("\"status\": \"failed\"");
        manifest.ShouldContain("\"files\": []");
    }

    [Fact]
    public async Task Run_CrmLockedByAnotherWriter_FailsWithLockedReason()
    {
        using var workspace = new TestWorkspace();
        await using var holder = await workspace.Crm.OpenAsync(readOnly: false, TestContext.Current.CancellationToken);
        await using (var journalMode = holder.CreateCommand())
        {
            // WAL lets readers through a writer; only an exclusive lock in rollback mode shuts them out.
            journalMode.CommandText = "PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE;";
            await journalMode.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var outcome = await workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken);

        var stage = outcome.Stages.Single();
        stage.Status.ShouldBe(StageStatus.Failed);
        stage.Error.ShouldBe($"CRM database '{workspace.Crm.Path}' is locked by another process (waited for the busy timeout)");
        workspace.ArchivedFiles("*.csv").ShouldBeEmpty();
        workspace.ArchivedFiles("*.tmp").ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_StoppedBeforeTheStageFinishes_IsRecordedAsInterrupted()
    {
        using var workspace = new TestWorkspace();
        using var during = new CancellationTokenSource();
        var stage = new StopAfterFirstValidation(workspace.Stage(), during);
        var interrupted = await new PipelineRunner([stage], Microsoft.Extensions.Options.Options.Create(workspace.Data),
                Microsoft.Extensions.Options.Options.Create(new Pipeline.Options.RunOptions()), Microsoft.Extensions.Options.Options.Create(new Pipeline.Options.ArchiveOptions()),
                workspace.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<PipelineRunner>.Instance)
            .RunAsync(new RunRequest([StageName.Export], null, null, false, RunTrigger.Manual), during.Token);

        interrupted.Stages.Single().Status.ShouldBe(StageStatus.Interrupted);
        workspace.ArchivedFiles("*.csv").ShouldBeEmpty();
        var attempts = await (await workspace.JournalAsync()).ListAttemptsAsync(interrupted.Run.RunId, TestContext.Current.CancellationToken);
        attempts.Single().Status.ShouldBe(StageStatus.Interrupted);
    }

    [Fact]
    public async Task Validate_UnknownSelectionAndOptIn_NamesEachProblem()
    {
        using var workspace = new TestWorkspace();
        workspace.Lists[0].Selection.MarketingLists.Add("No such list");
        workspace.Lists[1].Selection.SavedFilters[0] = "No such filter";
        workspace.Lists[1].OptInId = 999;

        var error = await Should.ThrowAsync<ConfigurationProblemsException>(() => workspace.RunExportAsync(cancellationToken: TestContext.Current.CancellationToken));

        error.Problems.ShouldBe(
        [
            "Export:RecipientLists:0:Selection:MarketingLists:1: marketing list 'No such list' does not exist in the CRM",
            "Export:RecipientLists:1:Selection:SavedFilters:0: saved filter 'No such filter' does not exist in the CRM",
            "Export:RecipientLists:1:OptInId: opt-in 999 does not exist in the CRM",
        ]);
        workspace.ArchivedFiles().ShouldBeEmpty();
    }

    /// <summary>Cancels the run's token as the stage starts, as SIGTERM would in the middle of a night.</summary>
    private sealed class StopAfterFirstValidation(IStage inner, CancellationTokenSource stop) : IStage
    {
        public StageName Name => inner.Name;

        public Task<IReadOnlyList<string>> ValidateAsync(CancellationToken cancellationToken) => inner.ValidateAsync(cancellationToken);

        public async Task<Pipeline.Journal.StageCounts> RunAsync(StageContext context, CancellationToken cancellationToken)
        {
            await stop.CancelAsync();
            return await inner.RunAsync(context, cancellationToken);
        }
    }
}
