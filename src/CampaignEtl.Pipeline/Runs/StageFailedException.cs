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

    /// <summary>The rule every stage applies: more rejected rows than <paramref name="limit"/> of the rows read fail it. Null when within.</summary>
    public static StageFailedException? ForRejectRate(Journal.StageCounts counts, double limit) =>
        counts.RowsIn > 0 && (double)counts.RowsRejected / counts.RowsIn > limit
            ? new(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{counts.RowsRejected} of {counts.RowsIn} rows rejected ({(double)counts.RowsRejected / counts.RowsIn:P1}), over the limit Run:MaxRejectRate = {limit:P1}"))
            : null;
}

/// <summary>A stage refused because an earlier stage of its run has not succeeded; nothing was run.</summary>
public sealed class StageOrderException(string message) : Exception(message);
