using CampaignEtl.Crm.Responses;
using CampaignEtl.Pipeline.Ingest;
using CampaignEtl.Pipeline.Options;

namespace CampaignEtl.Tests.Ingest;

public sealed class ResponseColumnMapTests
{
    private static readonly IngestOptions Defaults = new();

    [Fact]
    public void Parse_DefaultLayout_ReadsEveryColumn()
    {
        var map = Map(["event-type", "occurred-at", "mailing-id", "recipient-id", "email", "list-id", "link-url", "bounce-reason"]);

        var e = map.Parse(["click", "2026-11-23T08:15:42Z", "9001", "003000000000001", "a@example.org", "1001", "https://x.example/l", ""], out var problem);

        problem.ShouldBeNull();
        e.ShouldBe(new ResponseEvent(ResponseEventType.Click, new DateTimeOffset(2026, 11, 23, 8, 15, 42, TimeSpan.Zero), 9001, "003000000000001", "a@example.org", 1001, "https://x.example/l", string.Empty));
    }

    [Fact]
    public void Parse_ReorderedExtraAndCaseDifferentHeaders_AreMappedByName()
    {
        var map = Map([" Email ", "campaign", "LIST-ID", "bounce-reason", "event-type", "mailing-id", "occurred-at", "recipient-id"]);

        var e = map.Parse(["a@example.org", "ignored", "", "550 5.1.1 User unknown", "HardBounce", "7", "2026-11-23T08:00:00.5Z", ""], out var problem);

        problem.ShouldBeNull();
        e.ShouldNotBeNull();
        (e.Type, e.MailingId, e.RecipientId, e.Email, e.ListId, e.LinkUrl, e.BounceReason).ShouldBe(
            (ResponseEventType.HardBounce, 7L, "", "a@example.org", (long?)null, "", "550 5.1.1 User unknown"));
        e.OccurredAt.ShouldBe(new DateTimeOffset(2026, 11, 23, 8, 0, 0, 500, TimeSpan.Zero));
        map.HeaderLength.ShouldBe(8);
    }

    [Fact]
    public void Parse_CustomMappingAndEventTypes_UsesThem()
    {
        var options = new IngestOptions { EventTypes = new() { ["OPENED"] = "Open" } };
        options.Columns["EventType"] = "Action";
        options.Columns["RecipientId"] = "Contact";
        var map = ResponseColumnMap.TryCreate(["Contact", "Action", "occurred-at", "mailing-id"], options.Columns, options.EffectiveEventTypes(), out var problem);

        problem.ShouldBeNull();
        var e = map!.Parse(["003X", "opened", "2026-11-23T08:00:00Z", "5"], out _);
        (e!.Type, e.RecipientId, e.Email).ShouldBe((ResponseEventType.Open, "003X", ""));
        map.Parse(["003X", "open", "2026-11-23T08:00:00Z", "5"], out var unknown).ShouldBeNull();
        (unknown!.Column, unknown.Reason, unknown.RecipientId).ShouldBe(("Action", "unknown-event-type", "003X"));
    }

    [Theory]
    [InlineData(new[] { "occurred-at", "mailing-id", "email" }, "required column 'event-type' is missing")]
    [InlineData(new[] { "event-type", "occurred-at", "mailing-id", "list-id" }, "required column 'recipient-id' or 'email' is missing")]
    public void TryCreate_RequiredColumnMissing_NamesIt(string[] header, string expected)
    {
        ResponseColumnMap.TryCreate(header, Defaults.Columns, Defaults.EffectiveEventTypes(), out var problem).ShouldBeNull();
        problem.ShouldNotBeNull();
        problem.ShouldStartWith(expected);
    }

    [Theory]
    [InlineData("bounce", "2026-11-23T08:00:00Z", "1", "003A", "", "1", "event-type:unknown-event-type")]
    [InlineData("open", "2026-11-23 08:00:00", "1", "003A", "", "1", "occurred-at:bad-timestamp")]
    [InlineData("open", "2026-11-23T08:00:00+01:00", "1", "003A", "", "1", "occurred-at:bad-timestamp")]
    [InlineData("open", "2026-11-23T08:00:00Z", "", "003A", "", "1", "mailing-id:bad-mailing-id")]
    [InlineData("open", "2026-11-23T08:00:00Z", "12a", "003A", "", "1", "mailing-id:bad-mailing-id")]
    [InlineData("open", "2026-11-23T08:00:00Z", "1", "", "", "1", "recipient-id:missing-recipient")]
    [InlineData("open", "2026-11-23T08:00:00Z", "1", "003A", "", "-4", "list-id:bad-list-id")]
    public void Parse_BadValue_NamesColumnAndReason(string type, string at, string mailing, string id, string email, string list, string expected)
    {
        var map = Map(["event-type", "occurred-at", "mailing-id", "recipient-id", "email", "list-id"]);

        map.Parse([type, at, mailing, id, email, list], out var problem).ShouldBeNull();

        $"{problem!.Column}:{problem.Reason}".ShouldBe(expected);
    }

    [Fact]
    public void Parse_AddressAsRecipientId_NeverInTheProblem()
    {
        var map = Map(["event-type", "occurred-at", "mailing-id", "recipient-id"]);

        map.Parse(["open", "yesterday", "1", "someone@example.org"], out var problem).ShouldBeNull();

        problem!.RecipientId.ShouldBeEmpty();
        problem.Detail.ShouldNotContain("@");
    }

    private static ResponseColumnMap Map(string[] header) =>
        ResponseColumnMap.TryCreate(header, Defaults.Columns, Defaults.EffectiveEventTypes(), out _).ShouldNotBeNull();
}
