using CampaignEtl.IntegrationTests.Support;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Sandbox;

namespace CampaignEtl.IntegrationTests.Suppress;

public sealed class SuppressSoapTests
{
    [Fact]
    public async Task Run_UnsubscribesBouncesAndUnknowns_CrmEndsAsExpectedAndSecondRunChangesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(400, ct);
        var people = await h.PeopleAsync(0, 7);
        var (clientWide, perList, outbounced, shared, sharing, wrongList) = (people[0], people[1], people[2], people[3], people[4], people[5]);
        await h.Workspace.ExecuteCrmAsync("UPDATE person SET email = $e WHERE id = $id", ("$e", shared.Email.ToUpperInvariant()), ("$id", sharing.Id));
        // Consents given before tonight's events (a consent changed after an unsubscribe is the newer fact and would stay).
        await h.Workspace.ExecuteCrmAsync("UPDATE consent SET changed_at = '2026-01-01T00:00:00.000Z'");
        await h.Sandbox.State.AddUnsubscribeAsync(clientWide.Id, null, ct);
        await h.Sandbox.State.AddUnsubscribeAsync(perList.Id, SuppressHarness.NewsletterDe, ct);
        await h.Sandbox.State.AddUnsubscribeAsync(wrongList.Id, 4242, ct);
        await h.Sandbox.State.AddUnsubscribeAsync("003UNKNOWN00001", null, ct);
        await h.Sandbox.State.SetBounceCountAsync(outbounced.Email, BounceCategory.Hard, 3, ct);
        await h.Sandbox.State.SetBounceCountAsync(shared.Email, BounceCategory.Hard, 3, ct);

        // A mailing to 60 more people: hard and soft bounces, and unsubscribes (client-wide: the platform's default).
        var members = await h.PeopleAsync(10, 60);
        await h.Sandbox.State.AddRecipientsAsync(SuppressHarness.NewsletterDe,
            [.. members.Select(m => new SandboxRecipient(m.Id, m.Email, new Dictionary<string, string?> { ["firstname"] = "x" }))], ct);
        await h.Sandbox.SimulateMailingAsync(9001, SuppressHarness.NewsletterDe, 17, new DateOnly(2026, 11, 23),
            new MailingSimulationRates { HardBounce = 0.15, SoftBounce = 0.15, Open = 0.8, Click = 0, Unsubscribe = 0.4 }, ct);
        var events = await h.Sandbox.State.GetEventsAsync(9001, ct);
        var hard = events.Where(e => e.EventType == "hardbounce").Select(e => e.RecipientId).ToList();
        var soft = events.Where(e => e.EventType == "softbounce").Select(e => e.RecipientId).ToList();
        var unsubscribed = events.Where(e => e.EventType == "unsubscribe").Select(e => e.RecipientId).ToList();
        hard.ShouldNotBeEmpty();
        soft.ShouldNotBeEmpty();
        unsubscribed.ShouldNotBeEmpty();

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        var counts = stage.Counts;
        counts.IsBalanced.ShouldBeTrue();
        counts.RowsIn.ShouldBe(6 + hard.Count + soft.Count + unsubscribed.Count);
        counts.RowsRejected.ShouldBe(1);
        counts.Details["excluded:list-not-managed"].ShouldBe(1, "the unsubscribe from list 4242, which this job does not fill");
        counts.RowsOut.ShouldBe(counts.RowsIn - 2);
        counts.PlatformCalls.ShouldBeGreaterThanOrEqualTo(5);
        counts.Details["read:soap:getUnsubscribes"].ShouldBe(4 + unsubscribed.Count);

        (await h.ValueAsync($"SELECT has_opted_out_of_email || ' ' || (opted_out_at IS NOT NULL) || ' ' || lineage_run_id FROM person WHERE id = '{clientWide.Id}'"))
            .ShouldBe("1 1 " + h.RunId);
        (await h.ValueAsync($"SELECT status || ' ' || changed_by FROM consent WHERE person_id = '{perList.Id}' AND opt_in_id = 501")).ShouldBe("revoked platform-unsubscribe");
        (await h.ValueAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{perList.Id}'")).ShouldBe("0");
        (await h.ValueAsync($"SELECT email_bounced_reason FROM person WHERE id = '{outbounced.Id}'")).ShouldBe("outbounce");
        (await h.Workspace.QueryCrmAsync($"SELECT id FROM person WHERE id IN ('{shared.Id}', '{sharing.Id}') AND email_bounced_at IS NOT NULL")).Count.ShouldBe(2);
        foreach (var id in hard)
        {
            (await h.ValueAsync($"SELECT email_bounced_reason FROM person WHERE id = '{id}'")).ShouldBe("550 5.1.1 User unknown");
        }

        foreach (var id in soft)
        {
            (await h.ValueAsync($"SELECT soft_bounce_count > 0 AND email_bounced_at IS NULL FROM person WHERE id = '{id}'")).ShouldBe("1", "one soft bounce, the platform's threshold is 5");
        }

        foreach (var id in unsubscribed)
        {
            (await h.ValueAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{id}'")).ShouldBe("1");
        }

        // Lineage: the person row and the history both point at the archived result file and its line.
        var lineage = await h.ValueAsync($"SELECT change || ' ' || run_id || ' ' || archive_file || ' ' || line FROM change_lineage WHERE entity_key = '{clientWide.Id}'");
        lineage.ShouldStartWith($"email-opted-out {h.RunId} ");
        lineage.ShouldContain($"/suppress/attempt-1/unsubscriptions_{h.RunId}_attempt-1.csv ");
        var rejects = h.Rejects();
        rejects.Select(r => r[5]).ShouldBe(["unknown-recipient"]);
        rejects.ShouldAllBe(r => r[0].EndsWith($"unsubscriptions_{h.RunId}_attempt-1.csv", StringComparison.Ordinal) && int.Parse(r[1]) >= 2);
        var unsubscriptions = ExportFile.Read(ExportFile.Single(h.Workspace, $"unsubscriptions_{h.RunId}_*.csv")).Rows;
        var unknownRow = rejects.Single(r => r[5] == "unknown-recipient");
        unsubscriptions[int.Parse(unknownRow[1]) - 2][0].ShouldBe("003UNKNOWN00001", "the reject's line is the event's line in the archived file");
        var ambiguity = ExportFile.Read(ExportFile.Single(h.Workspace, $"ambiguities_suppress_{h.RunId}_*.csv")).Rows.ShouldHaveSingleItem();
        ambiguity[3].ShouldBe("2");
        ambiguity[4].Split(' ').Order().ShouldBe(new[] { shared.Id, sharing.Id }.Order());
        (await h.ValueAsync("SELECT count(*) FROM sync_watermark WHERE name = 'suppress:soap:until'")).ShouldBe("1");

        // The next window overlaps this one: the same events again, and nothing changes.
        var before = await h.CrmSnapshotAsync();
        var again = await h.RunAsync();

        again.Status.ShouldBe(StageStatus.Succeeded, again.Error);
        again.Counts.IsBalanced.ShouldBeTrue();
        again.Counts.RowsIn.ShouldBe(counts.RowsIn);
        again.Counts.RowsOut.ShouldBe(0);
        again.Counts.Details["excluded:already-applied"].ShouldBe(counts.RowsOut);
        (await h.CrmSnapshotAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Run_UnsubscribeOfConvertedLead_AppliesToItsContact()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(200, ct);
        var contact = (await h.PeopleAsync(0, 1))[0];
        var lead = await h.ValueAsync("SELECT id FROM person WHERE entity_type = 'lead' AND is_converted = 0 AND has_opted_out_of_email = 0 ORDER BY id LIMIT 1");
        await h.Workspace.ExecuteCrmAsync("UPDATE person SET is_converted = 1, converted_contact_id = $c WHERE id = $id", ("$c", contact.Id), ("$id", lead));
        await h.Sandbox.State.AddUnsubscribeAsync(lead, null, ct);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.RowsOut.ShouldBe(1);
        (await h.ValueAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{contact.Id}'")).ShouldBe("1");
        (await h.ValueAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{lead}'")).ShouldBe("0");
    }

    [Fact]
    public async Task Run_UnknownBouncedAddressAndUnknownUnsubscriber_RejectsInFileOrderWithTheirLines()
    {
        // The bounces are applied while getUnsubscribes is still read: their rejects must still come first, then the
        // unsubscriptions', each naming its archived result file and line.
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(200, ct);
        h.Options.BatchSize = 2;
        var people = await h.PeopleAsync(0, 6);
        foreach (var person in people.Take(3))
        {
            await h.Sandbox.State.SetBounceCountAsync(person.Email, BounceCategory.Hard, 3, ct);
        }

        await h.Sandbox.State.SetBounceCountAsync("nobody@unknown.example", BounceCategory.Hard, 3, ct);
        foreach (var person in people.Skip(3))
        {
            await h.Sandbox.State.AddUnsubscribeAsync(person.Id, null, ct);
        }

        await h.Sandbox.State.AddUnsubscribeAsync("003NOSUCHPERSON1", null, ct);
        h.Options.SoftBounceThreshold = 5;

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.IsBalanced.ShouldBeTrue();
        stage.Counts.RowsIn.ShouldBe(8);
        stage.Counts.RowsOut.ShouldBe(6);
        stage.Counts.RowsRejected.ShouldBe(2);
        stage.Counts.Details["applied:outbounce"].ShouldBe(3);
        stage.Counts.Details["applied:unsubscribe:client-wide"].ShouldBe(3);
        stage.Counts.Details["changed:email-bounced"].ShouldBe(3);
        stage.Counts.Details["changed:email-opted-out"].ShouldBe(3);
        var rejects = h.Rejects();
        rejects.Select(r => r[5]).ShouldBe(["unknown-recipient", "unknown-recipient"]);
        rejects[0][0].ShouldEndWith($"bounces_{h.RunId}_attempt-1.csv");
        rejects[1][0].ShouldEndWith($"unsubscriptions_{h.RunId}_attempt-1.csv");
        var bounces = ExportFile.Read(ExportFile.Single(h.Workspace, $"bounces_{h.RunId}_*.csv")).Rows;
        bounces[int.Parse(rejects[0][1]) - 2][1].ShouldBe("nobody@unknown.example");
        var unsubscriptions = ExportFile.Read(ExportFile.Single(h.Workspace, $"unsubscriptions_{h.RunId}_*.csv")).Rows;
        unsubscriptions[int.Parse(rejects[1][1]) - 2][0].ShouldBe("003NOSUCHPERSON1");
        foreach (var person in people.Take(3))
        {
            (await h.ValueAsync($"SELECT email_bounced_reason FROM person WHERE id = '{person.Id}'")).ShouldBe("outbounce");
        }
    }

    [Fact]
    public async Task Run_RejectRateExceeded_FailsArchivesTheRejectsAndKeepsTheWindowWhereItWas()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(200, ct);
        var person = (await h.PeopleAsync(0, 1))[0];
        await h.Sandbox.State.AddUnsubscribeAsync(person.Id, null, ct);
        await h.Sandbox.State.AddUnsubscribeAsync("003NOSUCHPERSON1", null, ct);
        await h.Sandbox.State.AddUnsubscribeAsync("003NOSUCHPERSON2", null, ct);

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Failed);
        stage.Error.ShouldNotBeNull().ShouldContain("rows rejected");
        h.Rejects().Select(r => r[5]).ShouldBe(["unknown-recipient", "unknown-recipient"]);
        // What the platform sent is archived as it came, one line per row.
        var raw = ExportFile.Read(ExportFile.Single(h.Workspace, $"closedloop_getUnsubscribes_{h.RunId}_attempt-1.csv"));
        raw.Header.ShouldBe(["recipient-id", "email", "unsubscribed-at-ms", "list-id"]);
        raw.Rows.Select(r => r[0]).Order().ShouldBe(new[] { person.Id, "003NOSUCHPERSON1", "003NOSUCHPERSON2" }.Order());
        // The failed attempt does not move the window on: the next one reads the same events again.
        (await h.Workspace.QueryCrmAsync("SELECT count(*) FROM sync_watermark")).ShouldBe(["0"]);
    }

    [Fact]
    public async Task Run_DryRun_ReportsCountsAndChangesAndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(200, ct);
        var people = await h.PeopleAsync(0, 2);
        await h.Sandbox.State.AddUnsubscribeAsync(people[0].Id, null, ct);
        await h.Sandbox.State.SetBounceCountAsync(people[1].Email, BounceCategory.Hard, 3, ct);
        var before = await h.CrmSnapshotAsync();

        var stage = await h.RunAsync(dryRun: true);

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.RowsIn.ShouldBe(2);
        stage.Counts.RowsOut.ShouldBe(2);
        (await h.CrmSnapshotAsync()).ShouldBe(before);
        h.Workspace.ArchivedFiles().ShouldBeEmpty();
        (await h.Workspace.QueryCrmAsync("SELECT count(*) FROM suppression_event UNION ALL SELECT count(*) FROM sync_watermark")).ShouldBe(["0", "0"]);
    }

    [Fact]
    public async Task Run_SoftBouncesReachConfiguredThreshold_PersonCountsAsBounced()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await SuppressHarness.StartAsync(300, ct);
        h.Options.SoftBounceThreshold = 1;
        var members = await h.PeopleAsync(0, 40);
        await h.Sandbox.State.AddRecipientsAsync(SuppressHarness.NewsletterDe,
            [.. members.Select(m => new SandboxRecipient(m.Id, m.Email, new Dictionary<string, string?> { ["firstname"] = "x" }))], ct);
        await h.Sandbox.SimulateMailingAsync(9002, SuppressHarness.NewsletterDe, 5, new DateOnly(2026, 11, 23),
            new MailingSimulationRates { HardBounce = 0, SoftBounce = 0.3, Open = 0, Click = 0, Unsubscribe = 0 }, ct);
        var soft = (await h.Sandbox.State.GetEventsAsync(9002, ct)).Where(e => e.EventType == "softbounce").Select(e => e.RecipientId).ToList();
        soft.ShouldNotBeEmpty();

        var stage = await h.RunAsync();

        stage.Status.ShouldBe(StageStatus.Succeeded, stage.Error);
        stage.Counts.PlatformCalls.ShouldBeGreaterThan(0);
        foreach (var id in soft)
        {
            (await h.ValueAsync($"SELECT soft_bounce_count || ' ' || email_bounced_reason FROM person WHERE id = '{id}'")).ShouldBe("1 soft bounces reached 1");
        }
    }
}
