using System.Text.Json;

namespace CampaignEtl.IntegrationTests.Platform;

/// <summary>The <c>bench soap</c> verb runs end to end (figures are not checked: speed belongs to the benchmark itself).</summary>
public sealed class BenchSoapCliTests
{
    [Fact]
    public async Task BenchSoap_ZeroCalls_ExitsTwoNamingTheOption()
    {
        var result = await Support.Cli.RunAsync(Path.GetTempPath(), "bench", "soap", "--calls", "0");

        result.ExitCode.ShouldBe(2, result.ToString());
        result.Stderr.ShouldContain("--calls = 0");
        result.Stdout.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BenchSoap_OneCallJson_ReportsEveryPhaseAndEveryCallInserted(bool sandboxProcess)
    {
        string[] args = ["bench", "soap", "--calls", "1", "--warmup", "0", "--json", .. sandboxProcess ? new[] { "--sandbox-process" } : []];
        var result = await Support.Cli.RunAsync(Path.GetTempPath(), args);

        result.ExitCode.ShouldBe(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout.Trim());
        var root = json.RootElement;
        root.GetProperty("calls").GetInt32().ShouldBe(1);
        root.GetProperty("recipients").GetInt32().ShouldBe(1000);
        root.GetProperty("attributes").GetInt32().ShouldBe(10);
        root.GetProperty("sandboxInChildProcess").GetBoolean().ShouldBe(sandboxProcess);
        root.GetProperty("clientCpuMsPerCall").GetDouble().ShouldBeGreaterThanOrEqualTo(0);
        root.GetProperty("floorCpuMsPerCall").GetDouble().ShouldBeGreaterThanOrEqualTo(0);
        root.GetProperty("pooledFloor").GetProperty("cpuMs").GetDouble().ShouldBeGreaterThanOrEqualTo(0);
        root.GetProperty("cpuRatioToPooledFloor").GetDouble().ShouldBeGreaterThanOrEqualTo(0);
        // Floor, pooled floor, client, client, pooled floor, floor.
        root.GetProperty("phases").GetArrayLength().ShouldBe(6);
        // login, then per phase clear, clear and getCount; the client's own two phases add 10 warm-up calls and 1 measured addAll3Flat each.
        root.GetProperty("clientCallsCounted").GetInt64().ShouldBe(1 + (6 * 3) + (2 * 11));
    }
}
