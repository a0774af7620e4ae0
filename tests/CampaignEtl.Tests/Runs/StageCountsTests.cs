using CampaignEtl.Pipeline.Journal;

namespace CampaignEtl.Tests.Runs;

public sealed class StageCountsTests
{
    [Fact]
    public void IsBalanced_InEqualsOutPlusRejectedPlusExcluded_IsTrue() =>
        new StageCounts { RowsIn = 10, RowsOut = 6, RowsRejected = 1, RowsExcluded = 3 }.IsBalanced.ShouldBeTrue();

    [Fact]
    public void IsBalanced_ARowLost_IsFalse() =>
        new StageCounts { RowsIn = 10, RowsOut = 6, RowsRejected = 1, RowsExcluded = 2 }.IsBalanced.ShouldBeFalse();
}
