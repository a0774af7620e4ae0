using System.Globalization;
using System.Text;
using CampaignEtl.Sandbox;

namespace CampaignEtl.IntegrationTests.Sandbox;

public sealed class SandboxLargeBatchTests
{
    private static readonly string[] Attributes = Enumerable.Range(1, 10).Select(i => "attr" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Full-size calls (1000 recipients, 10 attributes each) land whole. Speed is measured by the benchmark, not here.</summary>
    [Fact]
    public async Task AddAll3Flat_FullBatchesWithTenAttributes_EveryRecipientLands()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await SandboxPlatform.StartAsync(new SandboxOptions(), TimeProvider.System, null, ct);
        await sandbox.State.CreateRecipientListAsync(1, "bench", Attributes, false, ct);
        await sandbox.State.AddBlocklistEntryAsync("*@blocked.example", null, ct);
        using var client = new SoapTestClient(sandbox.Endpoint);
        var session = await client.LoginAsync();
        var envelopes = Enumerable.Range(0, 20).Select(b => Envelope(session, b)).ToList();

        foreach (var envelope in envelopes)
        {
            var answer = await client.PostRawAsync("RpcRecipient", envelope);
            answer.Ints.Count.ShouldBe(1000);
        }

        (await sandbox.State.GetCountAsync(1, ct)).ShouldBe(20_000);
    }

    private static string Envelope(string session, int batch)
    {
        var ids = new List<string?>(1000);
        var emails = new List<string?>(1000);
        var values = new List<string?>(10_000);
        for (var i = 0; i < 1000; i++)
        {
            var n = (batch * 1000) + i;
            ids.Add("003" + n.ToString("D12", CultureInfo.InvariantCulture));
            emails.Add("person" + n.ToString(CultureInfo.InvariantCulture) + "@example.com");
            for (var j = 0; j < 10; j++)
            {
                values.Add("value " + j.ToString(CultureInfo.InvariantCulture) + " of " + n.ToString(CultureInfo.InvariantCulture));
            }
        }

        return SoapTestClient.Envelope("RpcRecipient", "addAll3Flat", Part.Str(session), Part.Long(1), Part.Long(0), Part.Strings(ids), Part.Strings(emails), Part.Strings(Attributes), Part.Strings(values));
    }
}
