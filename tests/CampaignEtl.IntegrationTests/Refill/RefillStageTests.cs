using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Sandbox;

namespace CampaignEtl.IntegrationTests.Refill;

public sealed class RefillStageTests
{
    [Fact]
    public async Task Run_ExportThenRefill_ListsEqualTheAcceptedRowsAndCountsAddUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await RefillHarness.StartAsync(ct: ct);

        var outcome = await harness.RunExportAndRefillAsync(ct);

        outcome.Stages.Count.ShouldBe(2);
        var refill = outcome.Stages[1];
        refill.Status.ShouldBe(StageStatus.Succeeded, refill.Error);
        refill.Counts.IsBalanced.ShouldBeTrue();
        refill.Counts.PlatformCalls.ShouldBeGreaterThan(0);
        foreach (var list in harness.Workspace.Lists)
        {
            var (_, rows) = harness.ExportOf(outcome.Run.RunId, 1, list);
            var results = harness.ResultsOf(outcome.Run.RunId, 1, list);
            results.Select(r => r[0]).ShouldBe(rows.Select(r => r[0]), "one result row per export row, in file order");
            var accepted = results.Where(r => r[1] is "0" or "5").Select(r => r[0]).ToList();
            (await harness.ListMembersAsync(list.ListId)).ShouldBe(accepted);
            refill.Counts.Details[$"list:{list.Name}:in"].ShouldBe(rows.Count);
            refill.Counts.Details[$"list:{list.Name}:accepted"].ShouldBe(accepted.Count);
            refill.Counts.Details[$"list:{list.Name}:platform-count"].ShouldBe(accepted.Count);
            accepted.Count.ShouldBe(rows.Count, "the demo CRM's exported addresses are all accepted by the sandbox");
        }
    }
}
