using CampaignEtl.Pipeline.Suppress;

namespace CampaignEtl.Tests.Suppress;

public sealed class DropFolderFilesTests
{
    [Fact]
    public void FindNewest_ByDateThenSequence_IgnoresOtherNames()
    {
        var folder = Path.Combine(Path.GetTempPath(), "campaignetl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var name in new[] { "outbounces_20261123_9.csv", "outbounces_20261124_2.csv", "outbounces_20261124_10.csv", "outbounces_20261125_x.csv", "unsubscribes_20261130_1.csv" })
            {
                File.WriteAllText(Path.Combine(folder, name), "h\r\n");
            }

            var drop = new DropFolderFiles(folder);

            Path.GetFileName(drop.FindNewest("outbounces")).ShouldBe("outbounces_20261124_10.csv");
            Path.GetFileName(drop.FindNewest("unsubscribes")).ShouldBe("unsubscribes_20261130_1.csv");
            new DropFolderFiles(Path.Combine(folder, "missing")).FindNewest("outbounces").ShouldBeNull();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
