using CampaignEtl.Pipeline.Options;

namespace CampaignEtl.Tests.Options;

public sealed class ScheduleAndRunOptionsValidatorTests
{
    [Fact]
    public void Validate_DefaultSchedule_Succeeds() =>
        new ScheduleOptionsValidator().Validate(null, new ScheduleOptions()).Succeeded.ShouldBeTrue();

    [Fact]
    public void Validate_BadCronAndZone_ReportsBoth()
    {
        var result = new ScheduleOptionsValidator().Validate(null, new ScheduleOptions { Cron = "0 25 * *", TimeZone = "Mars/Olympus" });
        result.Failures!.Count().ShouldBe(2);
        result.Failures!.First().ShouldStartWith("Schedule:Cron = '0 25 * *': not a five-field cron expression");
        result.Failures!.Last().ShouldBe("Schedule:TimeZone = 'Mars/Olympus': not a known time zone id");
    }

    [Fact]
    public void Validate_BadRunOptions_ReportsKeyAndValue()
    {
        var result = new RunOptionsValidator().Validate(null, new RunOptions { BusinessTimeZone = "Nowhere", MaxRejectRate = 1.5 });
        result.Failures!.ShouldBe(
        [
            "Run:BusinessTimeZone = 'Nowhere': not a known time zone id (e.g. UTC, Europe/Berlin)",
            "Run:MaxRejectRate = 1.5: must be between 0 and 1",
        ]);
    }

    [Fact]
    public void Validate_NegativeRetention_IsAnError() =>
        new ArchiveOptionsValidator().Validate(null, new ArchiveOptions { RetentionDays = -1 }).Failures!
            .ShouldBe(["Archive:RetentionDays = -1: must be 0 (keep everything) or a number of days"]);
}
