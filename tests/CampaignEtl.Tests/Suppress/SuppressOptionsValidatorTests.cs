using CampaignEtl.Pipeline.Options;

namespace CampaignEtl.Tests.Suppress;

public sealed class SuppressOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        new SuppressOptionsValidator().Validate(null, new SuppressOptions()).Succeeded.ShouldBeTrue();

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryKeyWithItsValue()
    {
        var result = new SuppressOptionsValidator().Validate(null, new SuppressOptions
        {
            Source = "ftp",
            WindowOverlap = TimeSpan.FromDays(-1),
            InitialLookback = TimeSpan.Zero,
            SoftBounceThreshold = 0,
            BatchSize = 0,
        });

        result.Failures!.ShouldBe(
        [
            "Suppress:Source = 'ftp': must be 'soap' or 'drop'",
            "Suppress:WindowOverlap = -1.00:00:00: must be between 0 and 30 days",
            "Suppress:InitialLookback = 00:00:00: must be more than 0 and at most 90 days",
            "Suppress:SoftBounceThreshold = 0: must be between 1 and 1000, or left out to ask the platform",
            "Suppress:BatchSize = 0: must be between 1 and 100000",
        ]);
    }

    [Fact]
    public void Validate_DropWithBlankFolder_NamesTheKey() =>
        new SuppressOptionsValidator().Validate(null, new SuppressOptions { Source = "drop", DropFolder = " " }).Failures!
            .ShouldBe(["Suppress:DropFolder = ' ': must name a folder, or be left out to use the file drop (Transfer)"]);

    [Fact]
    public void Validate_DropWithoutFolder_UsesTheFileDrop() =>
        new SuppressOptionsValidator().Validate(null, new SuppressOptions { Source = "drop" }).Succeeded.ShouldBeTrue();
}
