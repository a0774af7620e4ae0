namespace CampaignEtl.Pipeline.Runs;

/// <summary>A stage that cannot finish: the message is the one-line reason the journal and the operator see.</summary>
public sealed class StageFailedException : Exception
{
    private StageFailedException(string message)
        : base(message)
    {
    }

    public static StageFailedException CountsDoNotAddUp(string what) =>
        new($"counts do not add up: {what}");

    public static StageFailedException RejectRateExceeded(long rejected, long read, double limit) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{rejected} of {read} rows rejected ({(double)rejected / read:P1}), over the limit Run:MaxRejectRate = {limit:P1}"));
}
