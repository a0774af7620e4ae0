using CampaignEtl.Crm.Responses;
using CampaignEtl.Crm.Suppression;
using static CampaignEtl.Crm.Responses.ResponseEventType;
using static CampaignEtl.IntegrationTests.Responses.ResponseCrm;

namespace CampaignEtl.IntegrationTests.Responses;

/// <summary>The response writer in the Campaign sync mode: matching people and mailings, member status precedence, the newer CRM change.</summary>
public sealed class ResponseWriterMemberTests
{
    [Fact]
    public async Task ApplyBatch_OpenThenClick_MemberClicked()
    {
        using var crm = await CreateAsync();

        var (results, changes) = await crm.ApplyAsync(crm.Event(Open, CampaignMailing, Alice, 1), crm.Event(Click, CampaignMailing, Alice, 2, "https://example.com/offer"));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Clicked");
        (await crm.ScalarAsync($"SELECT updated_at || '|' || first_responded_date || '|' || lineage_run_id || '|' || lineage_line FROM campaign_member WHERE person_id = '{Alice}'"))
            .ShouldBe("2026-11-23T20:02:00.000Z|2026-11-23|run-1|2");
        (await crm.ScalarAsync($"SELECT number_opened || '|' || number_clicked || '|' || number_sent || '|' || updated_at FROM campaign WHERE id = '{CampaignMode}'"))
            .ShouldBe("1|1|0|2026-11-24T01:00:00.000Z");
        changes["member-created"].ShouldBe(1);
        changes["member-status-upgraded"].ShouldBe(1);
        changes["campaign-totals"].ShouldBe(2);
        (await crm.QueryAsync("SELECT change FROM change_lineage ORDER BY id")).ShouldBe(["member-created", "member-status-upgraded", "campaign-totals"]);
    }

    [Fact]
    public async Task ApplyBatch_ClickThenOpen_NotDowngraded()
    {
        using var crm = await CreateAsync();

        var (results, changes) = await crm.ApplyAsync(crm.Event(Click, CampaignMailing, Alice, 1, "https://example.com/a"), crm.Event(Open, CampaignMailing, Alice, 2));

        results[0].Outcome.ShouldBe(ResponseOutcome.Applied);
        results[1].ShouldBe(ResponseResult.Applied);
        changes["member-status-kept:not-newer"].ShouldBe(1);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Clicked");
        (await crm.ScalarAsync($"SELECT number_opened || '|' || number_clicked FROM campaign WHERE id = '{CampaignMode}'")).ShouldBe("1|1");
        (await crm.ScalarAsync("SELECT count(*) FROM response_event_ledger")).ShouldBe("2");
    }

    [Fact]
    public async Task ApplyBatch_EarlierClickReadAfterLaterOpen_UpgradedAndUpdatedAtKept()
    {
        using var crm = await CreateAsync();

        var (first, _) = await crm.ApplyAsync(crm.Event(Open, CampaignMailing, Alice, 30));
        var (second, _) = await crm.ApplyAsync(crm.Event(Click, CampaignMailing, Alice, 10, "https://example.com/a"));

        first.ShouldBe([ResponseResult.Applied]);
        second.ShouldBe([ResponseResult.Applied]);
        (await crm.ScalarAsync($"SELECT status || '|' || updated_at FROM campaign_member WHERE person_id = '{Alice}'"))
            .ShouldBe("Clicked|2026-11-23T20:30:00.000Z");
    }

    [Fact]
    public async Task ApplyBatch_CrmChangedAfterIngestWroteIt_StatusKept()
    {
        using var crm = await CreateAsync();
        await crm.ApplyAsync(crm.Event(Send, CampaignMailing, Alice, 5));
        await crm.Workspace.ExecuteCrmAsync($"UPDATE campaign_member SET status = 'Opened', updated_at = '2026-11-23T21:00:00.000Z' WHERE person_id = '{Alice}'");

        var (results, _) = await crm.ApplyAsync(crm.Event(Click, CampaignMailing, Alice, 20, "https://example.com/a"));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Opened");
    }

    [Fact]
    public async Task ApplyBatch_CrmChangedAfterEvent_StatusKept()
    {
        using var crm = await CreateAsync();
        await crm.Workspace.ExecuteCrmAsync($"""
            INSERT INTO campaign_member (campaign_id, person_id, status, created_at, updated_at)
            VALUES ('{CampaignMode}', '{Alice}', 'Sent', '2026-11-01T08:00:00.000Z', '2026-11-23T21:00:00.000Z')
            """);

        var (results, _) = await crm.ApplyAsync(crm.Event(Open, CampaignMailing, Alice, 30));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Sent");
    }

    [Fact]
    public async Task ApplyBatch_CrmChangedBeforeEvent_StatusUpgraded()
    {
        using var crm = await CreateAsync();
        await crm.Workspace.ExecuteCrmAsync($"""
            INSERT INTO campaign_member (campaign_id, person_id, status, first_responded_date, created_at, updated_at)
            VALUES ('{CampaignMode}', '{Alice}', 'Opened', '2026-11-20', '2026-11-01T08:00:00.000Z', '2026-11-20T08:00:00.000Z')
            """);

        var (results, _) = await crm.ApplyAsync(crm.Event(Click, CampaignMailing, Alice, 30, "https://example.com/a"));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.ScalarAsync($"SELECT status || '|' || first_responded_date || '|' || updated_at FROM campaign_member WHERE person_id = '{Alice}'"))
            .ShouldBe("Clicked|2026-11-20|2026-11-23T20:30:00.000Z");
    }

    [Fact]
    public async Task ApplyBatch_UnknownLabel_Rejected()
    {
        using var crm = await CreateAsync();
        crm.Settings = DefaultSettings() with { StatusLabels = new Dictionary<ResponseEventType, string> { [Click] = "Clicked Link", [Open] = "Opened" } };

        var (results, _) = await crm.ApplyAsync(crm.Event(Click, CampaignMailing, Alice, 1, "https://example.com/a"));

        results.ShouldBe([ResponseResult.Reject("unknown-member-status", "Clicked Link")]);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("<none>");
        (await crm.ScalarAsync($"SELECT number_clicked FROM campaign WHERE id = '{CampaignMode}'")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM response_event_ledger")).ShouldBe("0");
    }

    [Fact]
    public async Task ApplyBatch_UnknownLabelCreateMissingStatuses_Created()
    {
        using var crm = await CreateAsync();
        crm.Settings = DefaultSettings() with
        {
            StatusLabels = new Dictionary<ResponseEventType, string> { [Click] = "Clicked Link", [Open] = "Opened" },
            StatusPrecedence = ["Clicked Link", "Opened"],
            CreateMissingStatuses = true,
        };

        var (results, changes) = await crm.ApplyAsync(crm.Event(Click, CampaignMailing, Alice, 1, "https://example.com/a"), crm.Event(Click, CampaignMailing, Bob, 2, "https://example.com/b"));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.ScalarAsync($"SELECT has_responded || '|' || sort_order || '|' || is_default FROM campaign_member_status WHERE campaign_id = '{CampaignMode}' AND label = 'Clicked Link'"))
            .ShouldBe("1|6|0");
        (await crm.MemberStatusAsync(CampaignMode, Bob)).ShouldBe("Clicked Link");
        changes["member-status-created"].ShouldBe(1);
    }

    [Fact]
    public async Task ApplyBatch_ConvertedLead_EventGoesToContact()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(crm.Event(Open, CampaignMailing, ConvertedLead, 1));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Opened");
        (await crm.MemberStatusAsync(CampaignMode, ConvertedLead)).ShouldBe("<none>");
    }

    [Fact]
    public async Task ApplyBatch_EmptyOrUnknownId_MatchedByAddress()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(
            crm.Event(Open, CampaignMailing, "", 1, email: " bob@EXAMPLE.com "),
            crm.Event(Open, CampaignMailing, "003999999999999", 2, email: "alice@example.com"));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.MemberStatusAsync(CampaignMode, Bob)).ShouldBe("Opened");
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Opened");
    }

    [Fact]
    public async Task ApplyBatch_UnknownOrAmbiguousRecipient_RejectedAndNothingChanged()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(
            crm.Event(Open, CampaignMailing, "", 1, email: "nobody@example.com"),
            crm.Event(Open, CampaignMailing, "", 2, email: "shared@example.com"));

        results[0].ShouldBe(ResponseResult.Reject("unknown-recipient"));
        results[1].Outcome.ShouldBe(ResponseOutcome.Rejected);
        results[1].Rule.ShouldBe("ambiguous-recipient");
        results[1].Detail.ShouldNotContain("@");
        (await crm.ScalarAsync("SELECT count(*) FROM campaign_member")).ShouldBe("0");
        (await crm.ScalarAsync($"SELECT number_opened FROM campaign WHERE id = '{CampaignMode}'")).ShouldBe("0");
    }

    [Fact]
    public async Task ApplyBatch_AmbiguousHardBounce_AppliedToAll()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(crm.Event(HardBounce, CampaignMailing, "", 1, email: "shared@example.com"));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.QueryAsync($"SELECT id FROM person WHERE email_bounced_at IS NOT NULL ORDER BY id")).ShouldBe([SharedOne, SharedTwo]);
        (await crm.MemberStatusAsync(CampaignMode, SharedOne)).ShouldBe("Bounced");
        (await crm.MemberStatusAsync(CampaignMode, SharedTwo)).ShouldBe("Bounced");
        (await crm.ScalarAsync($"SELECT number_bounced FROM campaign WHERE id = '{CampaignMode}'")).ShouldBe("1");
    }

    [Fact]
    public async Task ApplyBatch_MailingNotLinked_OpenIgnoredBounceApplied()
    {
        using var crm = await CreateAsync();

        var (results, changes) = await crm.ApplyAsync(
            crm.Event(Open, UnlinkedMailing, Alice, 1),
            crm.Event(HardBounce, UnlinkedMailing, Bob, 2));

        results[0].ShouldBe(ResponseResult.Ignore("mailing-not-linked", "9999"));
        results[1].ShouldBe(ResponseResult.Applied);
        (await crm.ScalarAsync($"SELECT email_bounced_at || '|' || email_bounced_reason || '|' || lineage_line FROM person WHERE id = '{Bob}'"))
            .ShouldBe("2026-11-23T20:02:00.000Z|hard bounce|2");
        (await crm.ScalarAsync("SELECT count(*) FROM campaign_member")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM suppression_event")).ShouldBe("1");
        changes["email-bounced"].ShouldBe(1);
    }

    [Fact]
    public async Task ApplyBatch_ListUnsubscribe_ConsentRevokedAndMemberUnsubscribed()
    {
        using var crm = await CreateAsync();

        var (results, changes) = await crm.ApplyAsync(crm.Event(Unsubscribe, CampaignMailing, Alice, 1, listId: NewsletterList));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.ScalarAsync($"SELECT status || '|' || changed_by FROM consent WHERE person_id = '{Alice}'")).ShouldBe("revoked|platform-unsubscribe");
        (await crm.ScalarAsync($"SELECT has_opted_out_of_email FROM person WHERE id = '{Alice}'")).ShouldBe("0");
        (await crm.MemberStatusAsync(CampaignMode, Alice)).ShouldBe("Unsubscribed");
        changes["consent-revoked"].ShouldBe(1);
    }

    [Fact]
    public async Task ApplyBatch_UnsubscribeNotListBased_OptedOut()
    {
        using var crm = await CreateAsync();
        crm.Settings = DefaultSettings() with { ListBasedUnsubscribes = false };

        var (results, changes) = await crm.ApplyAsync(crm.Event(Unsubscribe, UnlinkedMailing, Alice, 1, listId: NewsletterList));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.ScalarAsync($"SELECT has_opted_out_of_email || '|' || opted_out_at FROM person WHERE id = '{Alice}'")).ShouldBe("1|2026-11-23T20:01:00.000Z");
        (await crm.ScalarAsync($"SELECT status FROM consent WHERE person_id = '{Alice}'")).ShouldBe("granted");
        changes["email-opted-out"].ShouldBe(1);
    }

    [Fact]
    public async Task ApplyBatch_UnsubscribeFromUnknownList_PersonPartSkipped()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(
            crm.Event(Unsubscribe, UnlinkedMailing, Alice, 1, listId: 4242),
            crm.Event(Unsubscribe, CampaignMailing, Bob, 2, listId: 4242));

        results[0].ShouldBe(ResponseResult.Ignore("unknown-recipient-list"));
        results[1].ShouldBe(ResponseResult.Applied);
        (await crm.ScalarAsync("SELECT count(*) FROM consent WHERE status = 'revoked'")).ShouldBe("0");
        (await crm.MemberStatusAsync(CampaignMode, Bob)).ShouldBe("Unsubscribed");
    }

    [Fact]
    public async Task ApplyBatch_SoftBounces_CountedUpToThreshold()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(crm.Event(SoftBounce, UnlinkedMailing, Bob, 1), crm.Event(SoftBounce, UnlinkedMailing, Bob, 2));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.ScalarAsync($"SELECT soft_bounce_count || '|' || email_bounced_reason FROM person WHERE id = '{Bob}'")).ShouldBe("2|soft bounces reached 2");
    }

    [Fact]
    public async Task ApplyBatch_BounceSuppressAlreadyApplied_PersonNotChangedTwice()
    {
        using var crm = await CreateAsync();
        var bounce = crm.Event(HardBounce, UnlinkedMailing, Bob, 1);
        var key = new SuppressionEvent(SuppressionKind.Hard, Bob, string.Empty, null, bounce.Event.OccurredAt, "550", "9999", "soap").Key();
        await crm.Workspace.ExecuteCrmAsync(
            "INSERT INTO suppression_event (event_key, kind, occurred_at, run_id, archive_file, line, applied_at) VALUES ($k, 'hard', 'x', 'run-0', 'soap', 1, 'x')", ("$k", key));

        var (results, _) = await crm.ApplyAsync(bounce);

        results.ShouldBe([ResponseResult.Ignore("already-applied")]);
        (await crm.ScalarAsync($"SELECT ifnull(email_bounced_at, '<none>') FROM person WHERE id = '{Bob}'")).ShouldBe("<none>");
    }
}
