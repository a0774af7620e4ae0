using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Options;

/// <summary>The refill stage: how the run's export files are uploaded into the recipient lists.</summary>
public sealed class RefillOptions
{
    public const string Section = "Refill";

    /// <summary>Recipients per addAll3Flat call, 1 to 1000 (the platform's ceiling). Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Largest share (0 to 1) by which a list's export may be smaller than the rows accepted by its last
    /// successful refill before the refill refuses to clear the list (override: --allow-shrink). Default 0.2.
    /// </summary>
    public double MaxShrinkShare { get; set; } = 0.2;

    /// <summary>Batches a Dataflow block may hold; bounds memory. Default 4.</summary>
    public int BoundedCapacity { get; set; } = 4;
}

/// <summary>Reports every problem of the Refill section at once, naming the key and the bad value.</summary>
public sealed class RefillOptionsValidator : IValidateOptions<RefillOptions>
{
    public ValidateOptionsResult Validate(string? name, RefillOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        if (options.BatchSize is < 1 or > 1000)
        {
            builder.AddError("Refill:BatchSize" + " " + DataOptionsValidator.Invariant($"= {options.BatchSize}: must be between 1 and 1000 (the platform's ceiling per addAll3Flat call)"));
        }

        if (options.MaxShrinkShare is < 0 or > 1 || double.IsNaN(options.MaxShrinkShare))
        {
            builder.AddError("Refill:MaxShrinkShare" + " " + DataOptionsValidator.Invariant($"= {options.MaxShrinkShare}: must be between 0 and 1"));
        }

        if (options.BoundedCapacity is < 1 or > 1000)
        {
            builder.AddError("Refill:BoundedCapacity" + " " + DataOptionsValidator.Invariant($"= {options.BoundedCapacity}: must be between 1 and 1000"));
        }

        return builder.Build();
    }
}
