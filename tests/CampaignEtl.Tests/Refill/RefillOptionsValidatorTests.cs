using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Refill;
using CampaignEtl.Platform;

namespace CampaignEtl.Tests.Refill;

public sealed class RefillOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var options = new RefillOptions();

        new RefillOptionsValidator().Validate(null, options).Succeeded.ShouldBeTrue();
        options.BatchSize.ShouldBe(500);
        options.MaxShrinkShare.ShouldBe(0.2);
        options.BoundedCapacity.ShouldBe(4);
    }

    [Fact]
    public void Validate_EverythingOutOfRange_NamesEveryKey()
    {
        var result = new RefillOptionsValidator().Validate(null, new RefillOptions { BatchSize = 1001, MaxShrinkShare = 1.5, BoundedCapacity = 0 });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Refill:BatchSize = 1001");
        result.FailureMessage.ShouldContain("Refill:MaxShrinkShare = 1.5");
        result.FailureMessage.ShouldContain("Refill:BoundedCapacity = 0");
    }

    [Theory]
    [InlineData(RecipientResultCode.Inserted, "inserted", RefillOutcome.Accepted)]
    [InlineData(RecipientResultCode.AlreadyOnList, "already-on-list", RefillOutcome.Accepted)]
    [InlineData(RecipientResultCode.Unsubscribed, "unsubscribed", RefillOutcome.Excluded)]
    [InlineData(RecipientResultCode.Blacklisted, "blacklisted", RefillOutcome.Excluded)]
    [InlineData(RecipientResultCode.BounceOverflow, "bounce-overflow", RefillOutcome.Excluded)]
    [InlineData(RecipientResultCode.ValidationFailed, "validation-failed", RefillOutcome.Rejected)]
    [InlineData(RecipientResultCode.Filtered, "filtered", RefillOutcome.Rejected)]
    [InlineData(RecipientResultCode.GeneralError, "general-error", RefillOutcome.Rejected)]
    [InlineData((RecipientResultCode)42, "code-42", RefillOutcome.Rejected)]
    public void RecipientCodes_EachCode_HasItsMeaningAndOutcome(RecipientResultCode code, string meaning, RefillOutcome outcome)
    {
        RecipientCodes.Meaning(code).ShouldBe(meaning);
        RecipientCodes.Outcome(code).ShouldBe(outcome);
    }
}
