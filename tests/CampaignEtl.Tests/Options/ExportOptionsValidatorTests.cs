using CampaignEtl.Pipeline.Options;
using Microsoft.Extensions.Configuration;

namespace CampaignEtl.Tests.Options;

public sealed class ExportOptionsValidatorTests
{
    [Fact]
    public void Validate_GoodList_Succeeds()
    {
        var result = Validate(new Dictionary<string, string?>
        {
            ["Export:RecipientLists:0:Name"] = "newsletter-de",
            ["Export:RecipientLists:0:ListId"] = "1001",
            ["Export:RecipientLists:0:OptInId"] = "501",
            ["Export:RecipientLists:0:Description"] = "Newsletter",
            ["Export:RecipientLists:0:Selection:MarketingLists:0"] = "Newsletter DE",
            ["Export:RecipientLists:0:Attributes:firstname"] = "first_name",
        });

        result.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_BrokenLists_ReportsEveryErrorWithKeyAndValue()
    {
        var result = Validate(new Dictionary<string, string?>
        {
            ["Export:BatchSize"] = "0",
            ["Export:RecipientLists:0:Name"] = "newsletter-de",
            ["Export:RecipientLists:0:Description"] = "no list id, no opt-in",
            ["Export:RecipientLists:0:Selection:MarketingLists:0"] = "Newsletter DE",
            ["Export:RecipientLists:1:Name"] = "Mixed Consents",
            ["Export:RecipientLists:1:ListId"] = "1002",
            ["Export:RecipientLists:1:OptInId:0"] = "501",
            ["Export:RecipientLists:1:OptInId:1"] = "502",
            ["Export:RecipientLists:1:Description"] = "two opt-ins",
            ["Export:RecipientLists:1:Attributes:email"] = "email",
            ["Export:RecipientLists:1:Attributes:score"] = "lead_score",
        });

        result.ShouldBe(
        [
            "Export:BatchSize = 0: must be between 1 and 100000",
            "Export:RecipientLists:0:ListId = 0: missing or not a positive platform recipient list id",
            "Export:RecipientLists:0:OptInId = '': missing; a recipient list needs exactly one opt-in id (advertising consent)",
            "Export:RecipientLists:1:Name = 'Mixed Consents': must be 1 to 40 of a-z, 0-9 and '-' (it becomes part of file names)",
            "Export:RecipientLists:1:OptInId = [501, 502]: 2 opt-ins given; a recipient list has exactly one advertising consent, never mixed",
            "Export:RecipientLists:1:Selection is empty: name at least one marketing list or saved filter",
            "Export:RecipientLists:1:Attributes:email = 'email': collides with a technical field of the export file",
            "Export:RecipientLists:1:Attributes:score = 'lead_score': not a CRM person field; known: id, entity_type, salutation, first_name, last_name, email, title, city, country, language, account_id, company, created_at",
        ]);
    }

    [Fact]
    public void Validate_DuplicateListIdsAndNames_AreReported()
    {
        var result = Validate(new Dictionary<string, string?>
        {
            ["Export:RecipientLists:0:Name"] = "a",
            ["Export:RecipientLists:0:ListId"] = "7",
            ["Export:RecipientLists:0:OptInId"] = "1",
            ["Export:RecipientLists:0:Description"] = "d",
            ["Export:RecipientLists:0:Selection:SavedFilters:0"] = "f",
            ["Export:RecipientLists:1:Name"] = "a",
            ["Export:RecipientLists:1:ListId"] = "7",
            ["Export:RecipientLists:1:OptInId"] = "1",
            ["Export:RecipientLists:1:Description"] = "d",
            ["Export:RecipientLists:1:Selection:SavedFilters:0"] = "f",
        });

        result.ShouldBe(
        [
            "Export:RecipientLists:1:Name = 'a': another recipient list has the same name",
            "Export:RecipientLists:1:ListId = 7: another recipient list has the same list id",
        ]);
    }

    [Fact]
    public void Validate_NoRecipientLists_IsAnError()
    {
        Validate([]).ShouldBe(["Export:RecipientLists is empty: configure at least one recipient list"]);
    }

    private static IReadOnlyList<string> Validate(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new ExportOptions();
        configuration.GetSection(ExportOptions.Section).Bind(options);
        var result = new ExportOptionsValidator(configuration).Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }
}
