using CampaignEtl.Crm.Responses;
using static CampaignEtl.Crm.Responses.ResponseEventType;
using static CampaignEtl.IntegrationTests.Responses.ResponseCrm;

namespace CampaignEtl.IntegrationTests.Responses;

/// <summary>What each campaign sync mode writes: tasks (Activity), members and tasks, notes, totals only.</summary>
public sealed class ResponseWriterSyncModeTests
{
    [Fact]
    public async Task ApplyBatch_ActivityStatusNotMapped_SubjectCarriesLabelAndUrlInDescription()
    {
        using var crm = await CreateAsync();

        var (results, changes) = await crm.ApplyAsync(crm.Event(Click, ActivityMailing, Alice, 90, "https://example.com/winter"));

        results.ShouldBe([ResponseResult.Applied]);
        (await crm.ScalarAsync("""
            SELECT who_id || '|' || what_id || '|' || subject || '|' || description || '|' || activity_date || '|' || status || '|' || task_subtype || '|' || length(external_key) || '|' || lineage_line FROM task
            """)).ShouldBe($"{Alice}|{ActivityMode}|Clicked email campaign: Winter offers|https://example.com/winter|2026-11-23|Completed|Email|32|1");
        (await crm.ScalarAsync("SELECT count(*) FROM task_custom_field")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM campaign_member")).ShouldBe("0");
        (await crm.ScalarAsync($"SELECT number_clicked FROM campaign WHERE id = '{ActivityMode}'")).ShouldBe("1");
        changes["task-created"].ShouldBe(1);
    }

    [Fact]
    public async Task ApplyBatch_ActivityStatusAndUrlMapped_CustomFieldsSet()
    {
        using var crm = await CreateAsync();
        crm.Settings = DefaultSettings() with { ActivityStatusField = "Email_Status__c", ClickedUrlField = "Clicked_URL__c" };

        await crm.ApplyAsync(crm.Event(Click, ActivityMailing, Alice, 1, "https://example.com/winter"), crm.Event(Open, ActivityMailing, Bob, 2));

        (await crm.QueryAsync("SELECT subject || '|' || ifnull(description, '<null>') FROM task ORDER BY id"))
            .ShouldBe(["Email campaign: Winter offers|<null>", "Email campaign: Winter offers|<null>"]);
        (await crm.QueryAsync("SELECT task_id || '|' || field || '|' || value FROM task_custom_field ORDER BY task_id, field"))
            .ShouldBe(["1|Clicked_URL__c|https://example.com/winter", "1|Email_Status__c|Clicked", "2|Email_Status__c|Opened"]);
    }

    [Fact]
    public async Task ApplyBatch_ActivityForLead_TaskWithoutCampaign()
    {
        using var crm = await CreateAsync();

        await crm.ApplyAsync(crm.Event(Open, ActivityMailing, Lena, 1));

        (await crm.ScalarAsync("SELECT who_id || '|' || ifnull(what_id, '<null>') || '|' || subject FROM task")).ShouldBe($"{Lena}|<null>|Opened email campaign: Winter offers");
    }

    [Fact]
    public async Task ApplyBatch_ActivityLongCampaignName_SubjectCutTo255()
    {
        using var crm = await CreateAsync();
        await crm.Workspace.ExecuteCrmAsync("UPDATE campaign SET name = $n WHERE id = $id", ("$n", new string('x', 300)), ("$id", ActivityMode));

        await crm.ApplyAsync(crm.Event(Open, ActivityMailing, Alice, 1));

        (await crm.ScalarAsync("SELECT length(subject) FROM task")).ShouldBe("255");
    }

    [Fact]
    public async Task ApplyBatch_ActivityOpenAfterClick_StillATask()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(crm.Event(Click, ActivityMailing, Alice, 1, "https://example.com/a"), crm.Event(Open, ActivityMailing, Alice, 2));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.QueryAsync("SELECT subject FROM task ORDER BY id")).ShouldBe(["Clicked email campaign: Winter offers", "Opened email campaign: Winter offers"]);
    }

    [Fact]
    public async Task ApplyBatch_CampaignAndActivity_MemberAndTask()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(crm.Event(Click, CampaignAndActivityMailing, Alice, 1, "https://example.com/update"), crm.Event(Open, CampaignAndActivityMailing, Alice, 2));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.MemberStatusAsync(CampaignAndActivityMode, Alice)).ShouldBe("Clicked");
        (await crm.ScalarAsync("SELECT count(*) FROM task")).ShouldBe("2");
        (await crm.ScalarAsync($"SELECT number_opened || '|' || number_clicked FROM campaign WHERE id = '{CampaignAndActivityMode}'")).ShouldBe("1|1");
    }

    [Fact]
    public async Task ApplyBatch_Notes_OneNotePerPersonAndMailingWithALinePerEvent()
    {
        using var crm = await CreateAsync();

        var (results, changes) = await crm.ApplyAsync(
            crm.Event(Send, NotesMailing, Alice, 0),
            crm.Event(Open, NotesMailing, Alice, 5),
            crm.Event(Click, NotesMailing, Alice, 6, "https://example.com/rates"),
            crm.Event(Send, NotesMailing, Bob, 0));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.ScalarAsync($"SELECT parent_id || '|' || title || '|' || body || '|' || lineage_line FROM note WHERE external_key = 'mailing-{NotesMailing}-person-{Alice}'"))
            .ShouldBe($"{Alice}|Email campaign: Private banking letter|2026-11-23T20:00:00.000Z Sent\n2026-11-23T20:05:00.000Z Opened\n2026-11-23T20:06:00.000Z Clicked https://example.com/rates|3");
        (await crm.ScalarAsync("SELECT count(*) FROM note")).ShouldBe("2");
        changes["note-created"].ShouldBe(2);
        changes["note-updated"].ShouldBe(2);
        (await crm.ScalarAsync("SELECT count(*) FROM campaign_member")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM task")).ShouldBe("0");
    }

    [Fact]
    public async Task ApplyBatch_CampaignOnly_TotalsWithoutMembers()
    {
        using var crm = await CreateAsync();

        var (results, _) = await crm.ApplyAsync(
            crm.Event(Send, CampaignOnlyMailing, Alice, 0),
            crm.Event(Send, CampaignOnlyMailing, Bob, 0),
            crm.Event(Open, CampaignOnlyMailing, Alice, 3),
            crm.Event(Click, CampaignOnlyMailing, Alice, 4, "https://example.com/e"),
            crm.Event(SoftBounce, CampaignOnlyMailing, Bob, 5),
            crm.Event(Unsubscribe, CampaignOnlyMailing, Alice, 6, listId: NewsletterList));

        results.ShouldAllBe(r => r.Outcome == ResponseOutcome.Applied);
        (await crm.ScalarAsync($"""
            SELECT number_sent || '|' || number_opened || '|' || number_clicked || '|' || number_bounced || '|' || number_unsubscribed FROM campaign WHERE id = '{CampaignOnlyMode}'
            """)).ShouldBe("2|1|1|1|1");
        (await crm.ScalarAsync("SELECT count(*) FROM campaign_member")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM task")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM note")).ShouldBe("0");
        (await crm.ScalarAsync("SELECT count(*) FROM change_lineage WHERE entity = 'campaign' AND change = 'campaign-totals' AND line = 6")).ShouldBe("1");
    }

    [Fact]
    public async Task ApplyBatch_TotalsOverSeveralBatches_Added()
    {
        using var crm = await CreateAsync();
        await using var writer = await crm.OpenAsync();

        await writer.ApplyBatchAsync([crm.Event(Send, CampaignOnlyMailing, Alice, 0)], Progress(1), commit: true, CancellationToken.None);
        await writer.ApplyBatchAsync([crm.Event(Send, CampaignOnlyMailing, Bob, 0)], Progress(2), commit: true, CancellationToken.None);

        (await crm.ScalarAsync($"SELECT number_sent FROM campaign WHERE id = '{CampaignOnlyMode}'")).ShouldBe("2");
        writer.Changes["campaign-totals"].ShouldBe(2);
    }
}
