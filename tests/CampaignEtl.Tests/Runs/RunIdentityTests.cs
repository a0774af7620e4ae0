using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.Tests.Runs;

public sealed class RunIdentityTests
{
    [Fact]
    public void New_BusinessDateIsTheStartDateInTheBusinessTimeZone()
    {
        // 23:30 UTC on 24 November is already 25 November in Berlin.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 23, 30, 0, TimeSpan.Zero));
        var run = RunIdentity.New(time, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        run.BusinessDate.ShouldBe(new DateOnly(2026, 11, 25));
        run.RunId.ShouldStartWith("20261124T233000Z-");
        RunIdentity.IsWellFormed(run.RunId).ShouldBeTrue();
    }

    [Fact]
    public void New_TwoRunsInTheSameSecond_HaveDifferentIds()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero));
        var ids = Enumerable.Range(0, 20).Select(_ => RunIdentity.New(time, TimeZoneInfo.Utc).RunId).Distinct().Count();
        ids.ShouldBeGreaterThan(15);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("20261124T010000Z-ab12/x")]
    [InlineData("")]
    public void IsWellFormed_PathLikeOrEmpty_IsFalse(string runId) => RunIdentity.IsWellFormed(runId).ShouldBeFalse();
}
