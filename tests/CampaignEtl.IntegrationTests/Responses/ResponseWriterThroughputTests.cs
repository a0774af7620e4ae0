using System.Diagnostics;
using System.Globalization;
using CampaignEtl.Crm.Responses;
using static CampaignEtl.IntegrationTests.Responses.ResponseCrm;

namespace CampaignEtl.IntegrationTests.Responses;

/// <summary>
/// Many events in the Campaign mode through one writer in batches of 5,000, as the stage sends them: every event
/// ends applied or ignored, the totals add up, and the rate is printed (the machine is shared, so no floor is asserted).
/// </summary>
public sealed class ResponseWriterThroughputTests(ITestOutputHelper output)
{
    private const int People = 20_000;
    private const int BatchSize = 5_000;

    [Fact]
    public async Task ApplyBatch_ManyCampaignEvents_CountsAddUpAndRatePrinted()
    {
        using var crm = await CreateAsync();
        await crm.Workspace.ExecuteCrmAsync($"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {People})
            INSERT INTO person (id, entity_type, last_name, email, created_at, updated_at)
            SELECT '003' || printf('%012d', 100000 + i), 'contact', 'P' || i, 'p' || i || '@example.com', '2026-11-01T08:00:00.000Z', '2026-11-01T08:00:00.000Z' FROM n;
            """);
        await using var writer = await crm.OpenAsync();
        var batch = new List<LocatedResponse>(BatchSize);
        long applied = 0, ignored = 0, rejected = 0, line = 0;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();

        // Per person: sent, opened, clicked, then an open again (the status stays Clicked; the totals count it) — 4 events each.
        foreach (var type in new[] { ResponseEventType.Send, ResponseEventType.Open, ResponseEventType.Click, ResponseEventType.Open })
        {
            line++;
            for (var i = 1; i <= People; i++)
            {
                var id = "003" + (100000 + i).ToString("D12", CultureInfo.InvariantCulture);
                var url = type == ResponseEventType.Click ? "https://example.com/offer" : string.Empty;
                var at = Evening.AddSeconds((line * People) + i);
                batch.Add(new LocatedResponse(new ResponseEvent(type, at, CampaignMailing, id, string.Empty, null, url, string.Empty), ArchivedFile, (line * People) + i));
                if (batch.Count == BatchSize)
                {
                    Tally(await writer.ApplyBatchAsync(batch, Progress(batch[^1].Line), commit: true, CancellationToken.None));
                    batch.Clear();
                }
            }
        }

        clock.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var events = 4L * People;
        // CPU time too: on a shared machine the wall clock says more about the neighbours than about the writer.
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{events} events in {clock.Elapsed.TotalSeconds:F2} s: {events / clock.Elapsed.TotalSeconds:F0} events/s; {cpu:F2} s CPU: {events / cpu:F0} events per CPU second"));
        (applied + ignored + rejected).ShouldBe(events);
        applied.ShouldBe(4L * People);
        ignored.ShouldBe(0);
        (await crm.ScalarAsync($"SELECT number_sent || '|' || number_opened || '|' || number_clicked FROM campaign WHERE id = '{CampaignMode}'"))
            .ShouldBe($"{People}|{2 * People}|{People}");
        (await crm.ScalarAsync($"SELECT count(*) FROM campaign_member WHERE campaign_id = '{CampaignMode}' AND status = 'Clicked'")).ShouldBe(People.ToString(CultureInfo.InvariantCulture));

        void Tally(IReadOnlyList<ResponseResult> results)
        {
            foreach (var result in results)
            {
                _ = result.Outcome switch
                {
                    ResponseOutcome.Applied => applied++,
                    ResponseOutcome.Ignored => ignored++,
                    _ => rejected++,
                };
            }
        }
    }
}
