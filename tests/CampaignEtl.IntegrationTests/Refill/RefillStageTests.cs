using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Sandbox;

namespace CampaignEtl.IntegrationTests.Refill;

public sealed class RefillStageTests
{
    [Fact]
    public async Task Run_ExportThenRefill_ListsEqualTheAcceptedRowsAndCountsAddUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);

        var outcome = await harness.RunExportAndRefillAsync(ct);

        outcome.Stages.Count.ShouldBe(2);
        var refill = outcome.Stages[1];
        refill.Status.ShouldBe(StageStatus.Succeeded, refill.Error);
        refill.Counts.IsBalanced.ShouldBeTrue();
        refill.Counts.PlatformCalls.ShouldBeGreaterThan(0);
        foreach (var list in harness.Workspace.Lists)
        {
            var (_, rows) = harness.ExportOf(outcome.Run.RunId, 1, list);
            var results = harness.ResultsOf(outcome.Run.RunId, 1, list);
            results.Select(r => r[0]).ShouldBe(rows.Select(r => r[0]), "one result row per export row, in file order");
            var accepted = results.Where(r => r[1] is "0" or "5").Select(r => r[0]).ToList();
            (await harness.ListMembersAsync(list.ListId)).ShouldBe(accepted);
            refill.Counts.Details[$"list:{list.Name}:in"].ShouldBe(rows.Count);
            refill.Counts.Details[$"list:{list.Name}:accepted"].ShouldBe(accepted.Count);
            refill.Counts.Details[$"list:{list.Name}:platform-count"].ShouldBe(accepted.Count);
            accepted.Count.ShouldBe(rows.Count, "the demo CRM's exported addresses are all accepted by the sandbox");
        }

        // The attribute values arrive as exported: technical fields and the list's attributes.
        var member = (await harness.Sandbox.State.GetListMembersAsync(1001, ct))[0];
        var exported = harness.ExportOf(outcome.Run.RunId, 1, RefillHarness.Newsletter).Rows[0];
        member.Email.ShouldBe(exported[1]);
        member.Attributes["description"].ShouldBe(exported[3]);
        member.Attributes["entity-type"].ShouldBe(exported[5]);
        member.Attributes["lastname"].ShouldBe(exported[9]);
    }

    [Fact]
    public async Task Run_PlatformBlocklistBounceLimitAndUnsubscribe_FedBackToCrmWithLineageOnceOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);
        var first = await harness.RunExportAsync(ct);
        var runId = first.Run.RunId;
        var rows = harness.ExportOf(runId, 1, RefillHarness.Newsletter).Rows;
        var (blocked, wildcard, overLimit, unsubscribed) = (rows[3], rows[10], rows[20], rows[30]);
        await harness.Sandbox.State.AddBlocklistEntryAsync(blocked[1], ct: ct);
        await harness.Sandbox.State.AddBlocklistEntryAsync("?" + wildcard[1][1..], ct: ct);
        await harness.Sandbox.State.SetBounceCountAsync(overLimit[1], BounceCategory.Hard, 3, ct);
        await harness.Sandbox.State.AddUnsubscribeAsync(unsubscribed[0], ct: ct);

        var outcome = await harness.RerunRefillAsync(runId, ct);

        var refill = outcome.Stages.ShouldHaveSingleItem();
        refill.Status.ShouldBe(StageStatus.Succeeded, refill.Error);
        refill.Counts.IsBalanced.ShouldBeTrue();
        var details = refill.Counts.Details;
        details["list:newsletter-de:excluded"].ShouldBe(4);
        details["list:newsletter-de:code-3"].ShouldBe(2);
        details["list:newsletter-de:code-4"].ShouldBe(1);
        details["list:newsletter-de:code-2"].ShouldBe(1);
        details["list:newsletter-de:crm-feedback:changed"].ShouldBe(4);

        var results = harness.ResultsOf(runId, 1, RefillHarness.Newsletter);
        string CodeOf(string[] row) => results.Single(r => r[0] == row[0])[1];
        int LineOf(string[] row) => results.FindIndex(r => r[0] == row[0]) + 2;
        CodeOf(blocked).ShouldBe("3");
        CodeOf(wildcard).ShouldBe("3");
        CodeOf(overLimit).ShouldBe("4");
        CodeOf(unsubscribed).ShouldBe("2");
        results.Single(r => r[0] == overLimit[0])[2].ShouldBe("bounce-overflow");
        var members = await harness.ListMembersAsync(1001);
        members.ShouldNotContain(blocked[0]);
        members.ShouldNotContain(wildcard[0]);
        members.ShouldNotContain(overLimit[0]);
        members.ShouldNotContain(unsubscribed[0]);
        members.Count.ShouldBe(rows.Count - 4);

        var resultFile = $"2026/11/24/{runId}/refill/attempt-1/refill-results_newsletter-de_list-1001_{runId}_attempt-1.csv";
        var crm = harness.Workspace;
        (await crm.QueryCrmAsync($"SELECT source || '|' || lineage_run_id || '|' || lineage_file || '|' || lineage_line FROM blocklist_entry WHERE pattern = '{blocked[1].ToLowerInvariant()}'"))
            .ShouldBe([$"platform-refill|{runId}|{resultFile}|{LineOf(blocked)}"]);
        (await crm.QueryCrmAsync($"SELECT source FROM blocklist_entry WHERE pattern = '{wildcard[1].ToLowerInvariant()}'")).ShouldBe(["platform-refill"]);
        (await crm.QueryCrmAsync($"SELECT email_bounced_reason || '|' || lineage_run_id || '|' || lineage_line FROM person WHERE id = '{overLimit[0]}' AND email_bounced_at IS NOT NULL"))
            .ShouldBe([$"platform bounce limit|{runId}|{LineOf(overLimit)}"]);
        (await crm.QueryCrmAsync($"SELECT status || '|' || changed_by || '|' || lineage_run_id || '|' || lineage_line FROM consent WHERE person_id = '{unsubscribed[0]}' AND opt_in_id = 501"))
            .ShouldBe([$"revoked|platform-refill|{runId}|{LineOf(unsubscribed)}"]);
        var lineage = await crm.QueryCrmAsync($"SELECT entity || '|' || entity_key || '|' || line FROM change_lineage WHERE run_id = '{runId}' AND archive_file LIKE '%refill-results_newsletter-de_%' ORDER BY line");
        lineage.Order().ShouldBe(new[]
        {
            $"blocklist_entry|{blocked[0]}|{LineOf(blocked)}",
            $"blocklist_entry|{wildcard[0]}|{LineOf(wildcard)}",
            $"person|{overLimit[0]}|{LineOf(overLimit)}",
            $"consent|{unsubscribed[0]}:501|{LineOf(unsubscribed)}",
        }.Order());

        // The same codes again (a re-run uploads the same archived export): nothing changes in the CRM.
        var allLineage = await crm.QueryCrmAsync("SELECT count(*) FROM change_lineage");
        var again = await harness.RerunRefillAsync(runId, ct);
        var second = again.Stages.ShouldHaveSingleItem();
        second.Status.ShouldBe(StageStatus.Succeeded, second.Error);
        second.Attempt.ShouldBe(2);
        second.Counts.Details["list:newsletter-de:crm-feedback:changed"].ShouldBe(0);
        second.Counts.Details["list:newsletter-de:crm-feedback:unchanged"].ShouldBe(4);
        (await crm.QueryCrmAsync("SELECT count(*) FROM change_lineage")).ShouldBe(allLineage);
        (await harness.ListMembersAsync(1001)).ShouldBe(members);
    }

    [Fact]
    public async Task Run_ExportShrankMoreThanTheShare_StopsBeforeClearUntilAllowShrink()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);
        var first = await harness.RunExportAndRefillAsync(ct);
        first.Succeeded.ShouldBeTrue(first.Stages[^1].Error);
        var newsletterBefore = await harness.ListMembersAsync(1001);
        var productsBefore = await harness.ListMembersAsync(1003);
        await harness.Workspace.ExecuteCrmAsync("""
            DELETE FROM marketing_list_member WHERE list_id = 1 AND person_id IN
                (SELECT person_id FROM marketing_list_member WHERE list_id = 1 ORDER BY person_id LIMIT (SELECT count(*) / 2 FROM marketing_list_member WHERE list_id = 1))
            """);
        var callsBefore = harness.Sandbox.CallCount;

        var broken = await harness.RunExportAndRefillAsync(ct);

        var refill = broken.Stages[^1];
        refill.Stage.ShouldBe(StageName.Refill);
        refill.Status.ShouldBe(StageStatus.Failed);
        var error = refill.Error.ShouldNotBeNull();
        error.ShouldContain("newsletter-de");
        error.ShouldContain(newsletterBefore.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        error.ShouldContain("--allow-shrink");
        harness.Sandbox.CallCount.ShouldBe(callsBefore, "the guard runs before the client is even created: no clear, no login");
        (await harness.ListMembersAsync(1001)).ShouldBe(newsletterBefore);
        (await harness.ListMembersAsync(1003)).ShouldBe(productsBefore, "every list is checked before any is cleared");

        var allowed = await harness.RerunRefillAsync(broken.Run.RunId, ct, allowShrink: true);

        var forced = allowed.Stages.ShouldHaveSingleItem();
        forced.Status.ShouldBe(StageStatus.Succeeded, forced.Error);
        var shrunk = harness.ExportOf(broken.Run.RunId, 1, RefillHarness.Newsletter).Rows.Select(r => r[0]).ToList();
        (await harness.ListMembersAsync(1001)).ShouldBe(shrunk);
        shrunk.Count.ShouldBeLessThan((int)(newsletterBefore.Count * 0.8));
        var journal = await harness.Workspace.JournalAsync();
        var attempts = await journal.ListAttemptsAsync(broken.Run.RunId, ct);
        attempts[^1].Overrides.ShouldBe("--allow-shrink");
    }

    [Fact]
    public async Task Run_EmptyExport_Refused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);
        (await harness.RunExportAndRefillAsync(ct)).Succeeded.ShouldBeTrue();
        var newsletter = await harness.ListMembersAsync(1001);
        var productUpdates = await harness.ListMembersAsync(1003);
        newsletter.ShouldNotBeEmpty();
        await harness.Workspace.ExecuteCrmAsync("DELETE FROM marketing_list_member WHERE list_id = 1");

        var outcome = await harness.RunExportAndRefillAsync(ct);

        outcome.Stages[0].Status.ShouldBe(StageStatus.Succeeded, outcome.Stages[0].Error);
        var refill = outcome.Stages[1];
        refill.Status.ShouldBe(StageStatus.Failed);
        var error = refill.Error.ShouldNotBeNull();
        error.ShouldContain("newsletter-de (1001): the export has 0 rows");
        error.ShouldContain("--allow-shrink");
        // Refused before any clear: both lists hold what the last good refill put there.
        (await harness.ListMembersAsync(1001)).ShouldBe(newsletter);
        (await harness.ListMembersAsync(1003)).ShouldBe(productUpdates, "no list is touched");
    }

    [Fact]
    public async Task DryRun_AfterARefill_ReportsAddedRemovedUnchangedAndChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);
        var first = await harness.RunExportAndRefillAsync(ct);
        first.Succeeded.ShouldBeTrue(first.Stages[^1].Error);
        // Three people lose the newsletter consent, every revoked newsletter consent in list 1 is granted again.
        await harness.Workspace.ExecuteCrmAsync("""
            UPDATE consent SET status = 'granted' WHERE opt_in_id = 501 AND status = 'revoked'
                AND person_id IN (SELECT person_id FROM marketing_list_member WHERE list_id = 1)
            """);
        var previousIds = harness.ExportOf(first.Run.RunId, 1, RefillHarness.Newsletter).Rows.Select(r => r[0]).ToList();
        foreach (var id in previousIds.Take(3))
        {
            await harness.Workspace.ExecuteCrmAsync("UPDATE consent SET status = 'revoked' WHERE opt_in_id = 501 AND person_id = $id", ("$id", id));
        }

        var second = await harness.RunExportAsync(ct);
        var currentIds = harness.ExportOf(second.Run.RunId, 1, RefillHarness.Newsletter).Rows.Select(r => r[0]).ToList();
        var membersBefore = await harness.ListMembersAsync(1001);
        var productsBefore = await harness.ListMembersAsync(1003);
        var lineageBefore = await harness.Workspace.QueryCrmAsync("SELECT count(*) FROM change_lineage");
        var consentsBefore = await harness.Workspace.QueryCrmAsync("SELECT group_concat(person_id || status, ',') FROM consent");
        var journal = await harness.Workspace.JournalAsync();
        var attemptsBefore = await journal.ListAttemptsAsync(second.Run.RunId, ct);
        var filesBefore = harness.Workspace.ArchivedFiles().Order().ToList();
        var callsBefore = harness.Sandbox.CallCount;
        var clientsBefore = harness.Factory.Created;

        var dry = await harness.RerunRefillAsync(second.Run.RunId, ct, dryRun: true);

        var refill = dry.Stages.ShouldHaveSingleItem();
        refill.Status.ShouldBe(StageStatus.Succeeded, refill.Error);
        refill.Counts.IsBalanced.ShouldBeTrue();
        var details = refill.Counts.Details;
        details["list:newsletter-de:added"].ShouldBe(currentIds.Except(previousIds).Count());
        details["list:newsletter-de:removed"].ShouldBe(previousIds.Except(currentIds).Count());
        details["list:newsletter-de:unchanged"].ShouldBe(currentIds.Intersect(previousIds).Count());
        details["list:newsletter-de:removed"].ShouldBe(3);
        details["list:newsletter-de:added"].ShouldBeGreaterThan(0);
        harness.Factory.Created.ShouldBe(clientsBefore, "a dry run creates no platform client");
        harness.Sandbox.CallCount.ShouldBe(callsBefore);
        (await harness.ListMembersAsync(1001)).ShouldBe(membersBefore);
        (await harness.ListMembersAsync(1003)).ShouldBe(productsBefore);
        (await harness.Workspace.QueryCrmAsync("SELECT count(*) FROM change_lineage")).ShouldBe(lineageBefore);
        (await harness.Workspace.QueryCrmAsync("SELECT group_concat(person_id || status, ',') FROM consent")).ShouldBe(consentsBefore);
        (await journal.ListAttemptsAsync(second.Run.RunId, ct)).Count.ShouldBe(attemptsBefore.Count);
        harness.Workspace.ArchivedFiles().Order().ToList().ShouldBe(filesBefore);
    }

    [Fact]
    public async Task Rerun_AfterARefillKilledInTheMiddle_ListIsExactlyTheArchivedExport()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);
        harness.Refill.BatchSize = 10;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        harness.Factory.Wrap = client => new StopAfterCalls(client, 3, stop);

        var killed = await harness.RunExportAndRefillAsync(stop.Token);

        var interrupted = killed.Stages[^1];
        interrupted.Stage.ShouldBe(StageName.Refill);
        interrupted.Status.ShouldBe(StageStatus.Interrupted);
        var runId = killed.Run.RunId;
        var archived = harness.ExportOf(runId, 1, RefillHarness.Newsletter).Rows.Select(r => r[0]).ToList();
        var partial = await harness.ListMembersAsync(1001);
        partial.Count.ShouldBeGreaterThan(0);
        partial.Count.ShouldBeLessThan(archived.Count, "the refill was stopped half-way");
        harness.Workspace.ArchivedFiles($"refill-results_*{runId}_attempt-1.csv").ShouldBeEmpty("no partial result file gets a final name");

        // Between the runs the CRM changes: a fresh selection would differ. The re-run must upload the archive.
        foreach (var id in archived.Take(5))
        {
            await harness.Workspace.ExecuteCrmAsync("UPDATE consent SET status = 'revoked' WHERE opt_in_id = 501 AND person_id = $id", ("$id", id));
        }

        harness.Factory.Wrap = null;
        var rerun = await harness.RerunRefillAsync(runId, ct);

        var refill = rerun.Stages.ShouldHaveSingleItem();
        refill.Status.ShouldBe(StageStatus.Succeeded, refill.Error);
        refill.Attempt.ShouldBe(2);
        (await harness.ListMembersAsync(1001)).ShouldBe(archived);
        (await harness.ListMembersAsync(1003)).ShouldBe(harness.ExportOf(runId, 1, TestWorkspaceLists.Products).Rows.Select(r => r[0]).ToList());
        refill.Counts.Details["list:newsletter-de:accepted"].ShouldBe(archived.Count);
    }

    [Fact]
    public async Task Rerun_TenPercentFaultsAndFiftyCallSessions_ConvergesToTheExpectedLists()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(new SandboxOptions { FaultRate = 0.1, SessionLifetimeCalls = 50, FaultSeed = 11 }, contacts: 1500, ct: ct);
        harness.Refill.BatchSize = 10;
        // One retry only, so that some attempts do fail and the re-runs have something to converge from.
        harness.PlatformOptions.Retry.Attempts = 2;

        var outcome = await harness.RunExportAndRefillAsync(ct);
        var runId = outcome.Run.RunId;
        var attempts = 1;
        var last = outcome.Stages[^1];
        while (last.Status != StageStatus.Succeeded && attempts < 25)
        {
            last = (await harness.RerunRefillAsync(runId, ct)).Stages.ShouldHaveSingleItem();
            attempts++;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"refill attempts until success: {attempts}; sandbox calls {harness.Sandbox.CallCount}, injected faults {harness.Sandbox.InjectedFaultCount}; last error before success: {last.Error}");
        last.Status.ShouldBe(StageStatus.Succeeded, last.Error);
        harness.Sandbox.InjectedFaultCount.ShouldBeGreaterThan(0);
        foreach (var list in harness.Workspace.Lists)
        {
            var expected = harness.ExportOf(runId, 1, list).Rows.Select(r => r[0]).ToList();
            (await harness.ListMembersAsync(list.ListId)).ShouldBe(expected);
            last.Counts.Details[$"list:{list.Name}:accepted"].ShouldBe(expected.Count);
        }
    }

    [Fact]
    public async Task Rerun_ArchivedExportChanged_RefusedNamingTheFileAndListUntouched()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);
        var first = await harness.RunExportAndRefillAsync(ct);
        first.Succeeded.ShouldBeTrue(first.Stages[^1].Error);
        var before = await harness.ListMembersAsync(1001);
        var path = harness.Workspace.ArchivedFiles($"export_newsletter-de_*{first.Run.RunId}_attempt-1.csv").ShouldHaveSingleItem();
        Support.Tamper.MakeWritable(path);
        await File.AppendAllTextAsync(path, "003999999999999,intruder@example.com,501,Newsletter DE,email,contact,003999999999999,,,\r\n", ct);

        var outcome = await harness.RerunRefillAsync(first.Run.RunId, ct);

        var refill = outcome.Stages.ShouldHaveSingleItem();
        refill.Status.ShouldBe(StageStatus.Failed);
        var error = refill.Error.ShouldNotBeNull();
        error.ShouldContain(Path.GetFileName(path));
        error.ShouldContain("has changed since it was archived");
        (await harness.ListMembersAsync(1001)).ShouldBe(before);
    }
}

internal static class TestWorkspaceLists
{
    public static Pipeline.Options.RecipientListOptions Products => Support.TestWorkspace.ProductUpdatesDach();
}
