using CampaignEtl.Composition;
using CampaignEtl.Pipeline.Options;
using Microsoft.Extensions.Configuration;

namespace CampaignEtl.IntegrationTests.Composition;

public sealed class HostFactoryTests
{
    private static readonly string TestData = Path.Combine(AppContext.BaseDirectory, "testdata", "config");

    [Fact]
    public void CreateBuilder_ConfigFileWithOneRecipientList_ReplacesTheDefaultListsWhole()
    {
        var builder = HostFactory.CreateBuilder(Path.Combine(TestData, "one-recipient-list.json"), validateEverythingOnStart: false);

        var export = builder.Configuration.GetSection(ExportOptions.Section).Get<ExportOptions>()!;

        var list = export.RecipientLists.ShouldHaveSingleItem();
        list.Name.ShouldBe("customers-fr");
        // Merged by index, the first default list's salutation, lastname, company and country would have joined it.
        list.Attributes.Keys.ShouldBe(["prenom"]);
        // What the file does not mention still comes from the defaults.
        builder.Configuration["Export:BatchSize"].ShouldBe("1000");
        builder.Configuration["Archive:RetentionDays"].ShouldBe("400");
    }

    [Fact]
    public void CreateBuilder_NoConfigFile_KeepsTheDefaultLists()
    {
        var builder = HostFactory.CreateBuilder(configFile: null, validateEverythingOnStart: false);

        var export = builder.Configuration.GetSection(ExportOptions.Section).Get<ExportOptions>()!;

        export.RecipientLists.Select(l => l.Name).ShouldBe(["newsletter-de", "newsletter-en", "product-updates-dach"]);
    }

    [Fact]
    public void ArrayPaths_NestedArrays_AreEachFound()
    {
        using var workspace = new Support.TestWorkspace();
        var file = Path.Combine(workspace.Folder, "nested.json");
        File.WriteAllText(file, """{ "A": { "B": [ { "C": [1, 2] } ], "D": 3 }, "E": [] }""");

        ArrayReplacingJson.ArrayPaths(file).ShouldBe(["A:B", "A:B:0:C", "E"]);
    }
}
