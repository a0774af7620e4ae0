using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Options;

/// <summary>The suppress stage: where bounces and unsubscribes come from and how far back to read.</summary>
public sealed class SuppressOptions
{
    public const string Section = "Suppress";

    public const string SourceSoap = "soap";
    public const string SourceDrop = "drop";

    /// <summary><c>soap</c> (ClosedLoopWebservice, default) or <c>drop</c> (the platform's scheduled export files).</summary>
    public string Source { get; set; } = SourceSoap;

    /// <summary>
    /// A local folder holding <c>outbounces_*.csv</c> and <c>unsubscribes_*.csv</c> (Source = drop); left out, they
    /// are fetched from the file drop (<c>Transfer</c>).
    /// </summary>
    public string? DropFolder { get; set; }

    /// <summary>How far each SOAP window reaches back over the previous one's end. Default 1 day.</summary>
    public TimeSpan WindowOverlap { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The first SOAP window's length (the platform keeps closed-loop data about 30 days). Default 30 days.</summary>
    public TimeSpan InitialLookback { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Soft bounces that count as bounced; null asks the platform (getBounceCounterThreshold).</summary>
    public int? SoftBounceThreshold { get; set; }

    /// <summary>
    /// Events per CRM transaction. Default 5000, as ingest: each commit writes every page the batch touched to the
    /// log, and the ledger's pages (random keys) and the index pages are touched again by every batch, so 500 wrote
    /// about 40 % more to disk and took about 1.5 times as long to apply 50,000 events on a CRM of a million people.
    /// </summary>
    public int BatchSize { get; set; } = 5000;
}

public sealed class SuppressOptionsValidator : IValidateOptions<SuppressOptions>
{
    public ValidateOptionsResult Validate(string? name, SuppressOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var source = options.Source;
        if (source is not (SuppressOptions.SourceSoap or SuppressOptions.SourceDrop))
        {
            builder.AddError("Suppress:Source" + " " + $"= '{source}': must be 'soap' or 'drop'");
        }

        if (options.DropFolder is { } folder && string.IsNullOrWhiteSpace(folder))
        {
            builder.AddError("Suppress:DropFolder" + " " + $"= '{folder}': must name a folder, or be left out to use the file drop (Transfer)");
        }

        if (options.WindowOverlap < TimeSpan.Zero || options.WindowOverlap > TimeSpan.FromDays(30))
        {
            builder.AddError("Suppress:WindowOverlap" + " " + DataOptionsValidator.Invariant($"= {options.WindowOverlap}: must be between 0 and 30 days"));
        }

        if (options.InitialLookback <= TimeSpan.Zero || options.InitialLookback > TimeSpan.FromDays(90))
        {
            builder.AddError("Suppress:InitialLookback" + " " + DataOptionsValidator.Invariant($"= {options.InitialLookback}: must be more than 0 and at most 90 days"));
        }

        if (options.SoftBounceThreshold is < 1 or > 1000)
        {
            builder.AddError("Suppress:SoftBounceThreshold" + " " + DataOptionsValidator.Invariant($"= {options.SoftBounceThreshold}: must be between 1 and 1000, or left out to ask the platform"));
        }

        if (options.BatchSize is < 1 or > 100_000)
        {
            builder.AddError("Suppress:BatchSize" + " " + DataOptionsValidator.Invariant($"= {options.BatchSize}: must be between 1 and 100000"));
        }

        return builder.Build();
    }
}
