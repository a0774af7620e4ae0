using CampaignEtl.Pipeline.Archive;

namespace CampaignEtl.Tests.Archive;

public sealed class ArchiveFileNamesTests
{
    [Theory]
    [InlineData("../escape.csv")]
    [InlineData("a/b.csv")]
    [InlineData("a\\b.csv")]
    [InlineData(".hidden.csv")]
    [InlineData("manifest.json")]
    [InlineData("bell\a.csv")]
    [InlineData("")]
    public void EnsureSafe_UnsafeName_Throws(string name) =>
        Should.Throw<ArgumentException>(() => ArchiveFileNames.EnsureSafe(name)).Message.ShouldContain("is not a safe archive file name");

    [Fact]
    public void EnsureSafe_ExportName_Passes() =>
        Should.NotThrow(() => ArchiveFileNames.EnsureSafe("export_newsletter-de_list-1001_optin-501_20261124T010000Z-ab12_attempt-1.csv"));
}
