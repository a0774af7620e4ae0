using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Refill;

namespace CampaignEtl.Tests.Refill;

public sealed class ListDiffTests
{
    [Theory]
    [InlineData("a b c", "a b c", 0, 0, 3)]
    [InlineData("a b c", "", 3, 0, 0)]
    [InlineData("", "a b c", 0, 3, 0)]
    [InlineData("", "", 0, 0, 0)]
    [InlineData("a c e g", "b c d g h", 2, 3, 2)]
    [InlineData("003A 003B 00QA", "003B 00QA 00QB", 1, 1, 2)]
    public async Task CompareAsync_SortedIdStreams_CountsAddedRemovedUnchanged(string current, string previous, long added, long removed, long unchanged)
    {
        var diff = await ListDiff.CompareAsync(Ids(current), Ids(previous), TestContext.Current.CancellationToken);

        diff.ShouldBe(new ListDiffCounts(added, removed, unchanged));
    }

    [Fact]
    public async Task CompareAsync_IdsOutOfOrder_Refused()
    {
        var error = await Should.ThrowAsync<InvalidDataException>(() =>
            ListDiff.CompareAsync(Ids("a c b"), Ids("a b c"), TestContext.Current.CancellationToken));

        error.Message.ShouldContain("current");
        error.Message.ShouldContain("row 3");
    }

    [Fact]
    public async Task CompareAsync_DuplicateId_Refused()
    {
        await Should.ThrowAsync<InvalidDataException>(() =>
            ListDiff.CompareAsync(Ids("a b"), Ids("a a b"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CompareAsync_ExportFileAgainstPreviousResultFile_StreamsBothFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(AppContext.BaseDirectory, "testdata", "refill");
        await using var tonight = await ArchivedCsvReader.OpenAsync(Path.Combine(folder, "diff_tonight-export.csv"), "tonight", ExportColumns.Technical, ct);
        await using var previous = await ArchivedCsvReader.OpenAsync(Path.Combine(folder, "diff_previous-results.csv"), "previous", RefillColumns.Results, ct);

        var diff = await ListDiff.CompareAsync(tonight.FirstColumnAsync(ct), previous.FirstColumnAsync(ct), ct);

        // Added 003..3 and 00Q..9; removed 003..2 and 003..5; unchanged 003..1 and 003..4.
        diff.ShouldBe(new ListDiffCounts(2, 2, 2));
        tonight.Row.ShouldBe(4);
        previous.Row.ShouldBe(4);
    }

    private static async IAsyncEnumerable<string> Ids(string spaced)
    {
        foreach (var id in spaced.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            await Task.Yield();
            yield return id;
        }
    }
}
