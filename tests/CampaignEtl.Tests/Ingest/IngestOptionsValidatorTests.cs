using CampaignEtl.Pipeline.Options;
using Microsoft.Extensions.Configuration;

namespace CampaignEtl.Tests.Ingest;

public sealed class IngestOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        new IngestOptionsValidator().Validate(null, new IngestOptions()).Succeeded.ShouldBeTrue();

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryKeyWithItsValue()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Ingest:FilePattern"] = "../responses_*.csv",
            ["Ingest:Columns:EventType"] = "type",
            ["Ingest:Columns:OccurredAt"] = "TYPE",
            ["Ingest:Columns:Colour"] = "colour",
            ["Ingest:EventTypes:opened"] = "Opened",
            ["Ingest:StatusLabels:Bounce"] = "Bounced",
            ["Ingest:StatusLabels:Click"] = "",
            ["Ingest:StatusPrecedence:0"] = "Clicked",
            ["Ingest:StatusPrecedence:1"] = "Clicked",
            ["Ingest:SoftBounceThreshold"] = "0",
            ["Ingest:Activity:StatusField"] = "Status",
            ["Ingest:Activity:ClickedUrlField"] = "Clicked_Url__c",
            ["Ingest:BatchSize"] = "100001",
            ["Ingest:StaleAfter"] = "00:00:00",
        });

        var result = new IngestOptionsValidator().Validate(null, options);

        result.Failures!.ShouldBe(
        [
            "Ingest:FilePattern = '../responses_*.csv': must be a file name pattern (* and ? wildcards), no folder",
            "Ingest:Columns:OccurredAt = 'TYPE': the same header as Ingest:Columns:EventType",
            "Ingest:Columns:Colour = 'colour': not a logical column; known: EventType, OccurredAt, MailingId, RecipientId, Email, ListId, LinkUrl, BounceReason",
            "Ingest:EventTypes:opened = 'Opened': not an event type; known: Send, Open, Click, SoftBounce, HardBounce, Unsubscribe",
            "Ingest:StatusLabels:Click is empty: name the member status label of that event type",
            "Ingest:StatusLabels:Bounce = 'Bounced': not an event type; known: Send, Open, Click, SoftBounce, HardBounce, Unsubscribe",
            "Ingest:StatusPrecedence = [Clicked, Clicked]: 'Clicked' is empty or listed twice",
            "Ingest:StatusPrecedence = [Clicked, Clicked]: lacks Bounced, Opened, Sent, Unsubscribed (every label of Ingest:StatusLabels must be ranked)",
            "Ingest:SoftBounceThreshold = 0: must be between 1 and 1000, or left out to ask the platform",
            "Ingest:Activity:StatusField = 'Status': must be a Salesforce custom Task field name (e.g. Email_Status__c), or left out",
            "Ingest:BatchSize = 100001: must be between 1 and 100000",
            "Ingest:StaleAfter = 00:00:00: must be more than 0 and at most 365 days",
        ]);
    }

    [Fact]
    public void Validate_RequiredColumnsAndLabelsMissing_NamesTheKeys()
    {
        var options = new IngestOptions { StatusPrecedence = ["Clicked", "Opened", "Bounced", "Unsubscribed", "Sent"] };
        options.Columns.Remove("MailingId");
        options.Columns.Remove("RecipientId");
        options.Columns.Remove("Email");
        options.StatusLabels.Remove("Send");
        options.EventTypes = [];

        new IngestOptionsValidator().Validate(null, options).Failures!.ShouldBe(
        [
            "Ingest:Columns:MailingId is missing: a response export needs that column",
            "Ingest:Columns:RecipientId is missing, and so is Ingest:Columns:Email: a response export needs one of them",
            "Ingest:EventTypes is empty: map at least one text of the file to an event type, or leave the section out",
            "Ingest:StatusLabels:Send is missing: every event type needs a member status label",
        ]);
    }

    [Fact]
    public void Bind_CustomMappingAndPrecedence_ReplaceDefaultsAndAreValid()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Ingest:Columns:EventType"] = "Action",
            ["Ingest:EventTypes:SENT"] = "Send",
            ["Ingest:EventTypes:opened"] = "open",
            ["Ingest:StatusLabels:Open"] = "Responded",
            ["Ingest:StatusPrecedence:0"] = "Clicked",
            ["Ingest:StatusPrecedence:1"] = "Responded",
            ["Ingest:StatusPrecedence:2"] = "Bounced",
            ["Ingest:StatusPrecedence:3"] = "Unsubscribed",
            ["Ingest:StatusPrecedence:4"] = "Sent",
        });

        new IngestOptionsValidator().Validate(null, options).Succeeded.ShouldBeTrue();
        options.Columns["EventType"].ShouldBe("Action");
        options.Columns["OccurredAt"].ShouldBe("occurred-at");
        options.EffectiveEventTypes().Keys.Order(StringComparer.Ordinal).ShouldBe(["SENT", "opened"]);
        options.EffectiveEventTypes()["sent"].ShouldBe(Crm.Responses.ResponseEventType.Send);
        options.EffectiveStatusLabels()[Crm.Responses.ResponseEventType.Open].ShouldBe("Responded");
        options.EffectiveStatusPrecedence().ShouldBe(["Clicked", "Responded", "Bounced", "Unsubscribed", "Sent"]);
    }

    private static IngestOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new IngestOptions();
        configuration.GetSection(IngestOptions.Section).Bind(options);
        return options;
    }
}
