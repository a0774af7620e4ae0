namespace CampaignEtl.Pipeline.Runs;

/// <summary>The stages of a nightly run, in the order they run.</summary>
public enum StageName
{
    Suppress = 1,
    Export = 2,
    Refill = 3,
    Ingest = 4,
}

public static class StageNames
{
    public static IReadOnlyList<StageName> InOrder { get; } = [StageName.Suppress, StageName.Export, StageName.Refill, StageName.Ingest];

    public static string ToText(this StageName stage) => stage switch
    {
        StageName.Suppress => "suppress",
        StageName.Export => "export",
        StageName.Refill => "refill",
        StageName.Ingest => "ingest",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };

    public static StageName Parse(string text) =>
        TryParse(text, out var stage) ? stage : throw new ArgumentOutOfRangeException(nameof(text), text, "unknown stage");

    public static bool TryParse(string? text, out StageName stage)
    {
        foreach (var candidate in InOrder)
        {
            if (string.Equals(candidate.ToText(), text, StringComparison.OrdinalIgnoreCase))
            {
                stage = candidate;
                return true;
            }
        }

        stage = default;
        return false;
    }
}
