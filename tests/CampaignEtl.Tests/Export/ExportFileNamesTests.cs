using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;

namespace CampaignEtl.Tests.Export;

public sealed class ExportFileNamesTests
{
    private static readonly RecipientListOptions List = new() { Name = "newsletter-de", ListId = 1001, OptInId = 501 };

    [Fact]
    public void Export_NamesListOptInRunAndAttempt() =>
        ExportFileNames.Export(List, "20261124T010000Z-ab12", 2).ShouldBe("export_newsletter-de_list-1001_optin-501_20261124T010000Z-ab12_attempt-2.csv");

    [Fact]
    public void Names_AcrossRunsAttemptsAndKinds_AreAllDifferent()
    {
        var names = new List<string>();
        foreach (var run in new[] { "20261124T010000Z-ab12", "20261125T010000Z-cd34" })
        {
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                names.Add(ExportFileNames.Export(List, run, attempt));
                names.Add(ExportFileNames.Rejects(List, run, attempt));
                names.Add(ExportFileNames.DuplicateEmails(List, run, attempt));
            }
        }

        names.Distinct().Count().ShouldBe(names.Count);
    }
}
