using CampaignEtl.Pipeline.Ingest;

namespace CampaignEtl.Tests.Ingest;

public sealed class ResponseFileNamesTests
{
    [Fact]
    public void Select_MixedDrop_ByDateThenMailingThenSeq_UnparsedLastAndOthersLeftAlone()
    {
        string[] listed =
        [
            "responses_9001_20261124_2.csv", "responses_9001_20261124_10.csv", "responses_42_20261124_1.csv", "responses_9001_20261123_1.csv",
            "responses_old.csv", "responses_abc.csv", "outbounces_20261124_1.csv", "responses_1_20261124_1.txt", "Responses_1_20261124_1.csv",
        ];

        var selected = ResponseFileNames.Select(listed, "responses_*.csv");

        selected.ShouldBe(
        [
            "responses_9001_20261123_1.csv", "responses_42_20261124_1.csv", "responses_9001_20261124_2.csv", "responses_9001_20261124_10.csv",
            "responses_abc.csv", "responses_old.csv",
        ]);
    }

    [Theory]
    [InlineData("export-?_*.csv", "export-a_1_20261124_1.csv", true)]
    [InlineData("export-?_*.csv", "export-ab_1_20261124_1.csv", false)]
    [InlineData("responses_*.csv", "responses_1_20261124_1.csv.part", false)]
    [InlineData("r.csv", "rxcsv", false)]
    public void ToRegex_Wildcards_MatchWholeName(string pattern, string name, bool matches) =>
        ResponseFileNames.ToRegex(pattern).IsMatch(name).ShouldBe(matches);
}
