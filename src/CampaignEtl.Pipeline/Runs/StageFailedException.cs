namespace CampaignEtl.Pipeline.Runs;

/// <summary>A stage that cannot finish: the message is the one-line reason the journal and the operator see.</summary>
public sealed class StageFailedException : Exception
{
    public StageFailedException(string message)
        : base(message)
    {
    }

    public static StageFailedException CountsDoNotAddUp(string what) =>
        new($"counts do not add up: {what}");

    public static StageFailedException RejectRateExceeded(long rejected, long read, double limit) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{rejected} of {read} rows rejected ({(double)rejected / read:P1}), over the limit Run:MaxRejectRate = {limit:P1}"));
}

/// <summary>A stage refused because an earlier stage of its run has not succeeded; nothing was run.</summary>
public sealed class StageOrderException(string message) : Exception(message);
