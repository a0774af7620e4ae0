using CampaignEtl.Sandbox;

namespace CampaignEtl.Tests.Sandbox;

public sealed class SandboxOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_NoErrors() =>
        SandboxOptionsValidator.Validate(new SandboxOptions()).ShouldBeEmpty();

    [Fact]
    public void Validate_ManyBadValues_ReportsEveryKeyWithItsValueButNeverThePassword()
    {
        var options = new SandboxOptions
        {
            MandatorId = 0,
            User = " ",
            Password = "",
            SessionLifetime = TimeSpan.Zero,
            SessionLifetimeCalls = -1,
            FaultRate = 1.5,
            DroppedConnectionRate = double.NaN,
            Latency = TimeSpan.FromMinutes(10),
            HardBounceThreshold = 0,
            SoftBounceThreshold = 0,
            MaxRequestBytes = 10,
        };

        var errors = SandboxOptionsValidator.Validate(options);

        errors.Count.ShouldBe(11);
        errors.ShouldContain("Sandbox:FaultRate = 1.5: must be between 0 and 1");
        errors.ShouldContain("Sandbox:MandatorId = 0: must be a positive client id");
        errors.ShouldContain(e => e.StartsWith("Sandbox:SessionLifetime = 00:00:00", StringComparison.Ordinal));
        errors.ShouldContain("Sandbox:Password must not be empty");
        new SandboxOptionsValidator().Validate(null, options).Failed.ShouldBeTrue();
    }

    [Fact]
    public void Validate_FaultRateWithoutKinds_NamesFaultKinds()
    {
        var errors = SandboxOptionsValidator.Validate(new SandboxOptions { FaultRate = 0.1, FaultKinds = SandboxFaultKinds.None, Password = "secret-value" });

        errors.ShouldBe(["Sandbox:FaultKinds = None: must name at least one kind when FaultRate is above 0"]);
        string.Join(";", errors).ShouldNotContain("secret-value");
    }
}
