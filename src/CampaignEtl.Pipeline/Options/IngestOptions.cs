using System.Text.RegularExpressions;
using CampaignEtl.Crm.Responses;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Options;

/// <summary>
/// The ingest stage: which drop files are response exports, how their columns and event types are named (the real
/// layout is agreed with the platform per customer; the defaults are schemas/response-export.csv-metadata.json), and
/// how events map onto campaign member statuses.
/// </summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>The logical columns a response export carries; keys of <see cref="Columns"/>.</summary>
    public static readonly IReadOnlyList<string> LogicalColumns =
        ["EventType", "OccurredAt", "MailingId", "RecipientId", "Email", "ListId", "LinkUrl", "BounceReason"];

    /// <summary>Files on the drop to ingest (<c>*</c> and <c>?</c> wildcards, case-sensitive); everything else is left alone. Default <c>responses_*.csv</c>.</summary>
    public string FilePattern { get; set; } = "responses_*.csv";

    /// <summary>
    /// Logical column → header name in the file. Header-driven and order-independent; header names match
    /// case-insensitively and trimmed; extra columns are ignored. A key given in configuration replaces that default only.
    /// </summary>
    public Dictionary<string, string> Columns { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["EventType"] = "event-type",
        ["OccurredAt"] = "occurred-at",
        ["MailingId"] = "mailing-id",
        ["RecipientId"] = "recipient-id",
        ["Email"] = "email",
        ["ListId"] = "list-id",
        ["LinkUrl"] = "link-url",
        ["BounceReason"] = "bounce-reason",
    };

    /// <summary>
    /// Text in the file's event-type column → event type (Send, Open, Click, SoftBounce, HardBounce, Unsubscribe).
    /// Matched case-insensitively and trimmed (configuration keys are case-insensitive anyway). Null (not configured):
    /// the platform's names send, open, click, softbounce, hardbounce, unsubscribe. Configured: replaces them all.
    /// </summary>
    public Dictionary<string, string>? EventTypes { get; set; }

    /// <summary>Event type → campaign member status label. A key given in configuration replaces that default only.</summary>
    public Dictionary<string, string> StatusLabels { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(ResponseEventType.Send)] = "Sent",
        [nameof(ResponseEventType.Open)] = "Opened",
        [nameof(ResponseEventType.Click)] = "Clicked",
        [nameof(ResponseEventType.SoftBounce)] = "Bounced",
        [nameof(ResponseEventType.HardBounce)] = "Bounced",
        [nameof(ResponseEventType.Unsubscribe)] = "Unsubscribed",
    };

    /// <summary>Member status labels, strongest first; a status is never downgraded. Null: Clicked, Opened, Bounced, Unsubscribed, Sent.</summary>
    public List<string>? StatusPrecedence { get; set; }

    /// <summary>Create a status label a campaign does not define (else the event is skipped and reported). Default false.</summary>
    public bool CreateMissingStatuses { get; set; }

    /// <summary>An unsubscribe revokes only its list's opt-in (true) or is client-wide (false, the platform's default).</summary>
    public bool ListBasedUnsubscribes { get; set; }

    /// <summary>Soft bounces that count as bounced; null asks the platform once, and only when a soft bounce is seen.</summary>
    public int? SoftBounceThreshold { get; set; }

    public IngestActivityOptions Activity { get; set; } = new();

    /// <summary>Events per CRM transaction. Default 5000.</summary>
    public int BatchSize { get; set; } = 5000;

    /// <summary>A warning when the last successful ingest ended longer ago (the platform keeps response data 14 to 30 days). Default 14 days.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Move a completely ingested file to Transfer:ProcessedFolder. Default false: nothing on the drop is moved or deleted.</summary>
    public bool MoveToProcessed { get; set; }

    public static IReadOnlyDictionary<string, ResponseEventType> DefaultEventTypes { get; } = new Dictionary<string, ResponseEventType>(StringComparer.OrdinalIgnoreCase)
    {
        ["send"] = ResponseEventType.Send,
        ["open"] = ResponseEventType.Open,
        ["click"] = ResponseEventType.Click,
        ["softbounce"] = ResponseEventType.SoftBounce,
        ["hardbounce"] = ResponseEventType.HardBounce,
        ["unsubscribe"] = ResponseEventType.Unsubscribe,
    };

    public static IReadOnlyList<string> DefaultStatusPrecedence { get; } = ["Clicked", "Opened", "Bounced", "Unsubscribed", "Sent"];

    /// <summary>The event-type texts in effect (configured or default), case-insensitive. Call after validation.</summary>
    public IReadOnlyDictionary<string, ResponseEventType> EffectiveEventTypes() =>
        EventTypes is null
            ? DefaultEventTypes
            : EventTypes.ToDictionary(e => e.Key.Trim(), e => Enum.Parse<ResponseEventType>(e.Value.Trim(), ignoreCase: true), StringComparer.OrdinalIgnoreCase);

    /// <summary>The status labels per event type. Call after validation.</summary>
    public IReadOnlyDictionary<ResponseEventType, string> EffectiveStatusLabels() =>
        StatusLabels.ToDictionary(e => Enum.Parse<ResponseEventType>(e.Key.Trim(), ignoreCase: true), e => e.Value.Trim());

    public IReadOnlyList<string> EffectiveStatusPrecedence() =>
        StatusPrecedence is null or { Count: 0 } ? DefaultStatusPrecedence : StatusPrecedence.Select(s => s.Trim()).ToList();
}

/// <summary>The Activity sync mode's Salesforce custom Task fields.</summary>
public sealed class IngestActivityOptions
{
    /// <summary>Custom Task field for the member status; null: the status goes in the subject.</summary>
    public string? StatusField { get; set; }

    /// <summary>Custom Task field for the clicked URL; null: the URL goes in the description.</summary>
    public string? ClickedUrlField { get; set; }
}

public sealed partial class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(options.FilePattern) || options.FilePattern.IndexOfAny(['/', '\\']) >= 0 || options.FilePattern.Contains("..", StringComparison.Ordinal))
        {
            builder.AddError("Ingest:FilePattern" + " " + $"= '{options.FilePattern}': must be a file name pattern (* and ? wildcards), no folder");
        }

        ValidateColumns(builder, options.Columns);
        ValidateEventTypes(builder, options.EventTypes);
        var labels = ValidateStatusLabels(builder, options.StatusLabels);
        ValidatePrecedence(builder, options.StatusPrecedence, labels);

        if (options.SoftBounceThreshold is < 1 or > 1000)
        {
            builder.AddError("Ingest:SoftBounceThreshold" + " " + DataOptionsValidator.Invariant($"= {options.SoftBounceThreshold}: must be between 1 and 1000, or left out to ask the platform"));
        }

        foreach (var (key, value) in new[] { ("StatusField", options.Activity?.StatusField), ("ClickedUrlField", options.Activity?.ClickedUrlField) })
        {
            if (value is not null && !CustomField().IsMatch(value))
            {
                builder.AddError("Ingest:Activity:" + key + " " + $"= '{value}': must be a Salesforce custom Task field name (e.g. Email_Status__c), or left out");
            }
        }

        if (options.BatchSize is < 1 or > 100_000)
        {
            builder.AddError("Ingest:BatchSize" + " " + DataOptionsValidator.Invariant($"= {options.BatchSize}: must be between 1 and 100000"));
        }

        if (options.StaleAfter <= TimeSpan.Zero || options.StaleAfter > TimeSpan.FromDays(365))
        {
            builder.AddError("Ingest:StaleAfter" + " " + DataOptionsValidator.Invariant($"= {options.StaleAfter}: must be more than 0 and at most 365 days"));
        }

        return builder.Build();
    }

    private static void ValidateColumns(ValidateOptionsResultBuilder builder, Dictionary<string, string>? columns)
    {
        columns ??= [];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (logical, header) in columns)
        {
            if (!IngestOptions.LogicalColumns.Contains(logical, StringComparer.OrdinalIgnoreCase))
            {
                builder.AddError("Ingest:Columns:" + logical + " " + $"= '{header}': not a logical column; known: {string.Join(", ", IngestOptions.LogicalColumns)}");
            }
            else if (string.IsNullOrWhiteSpace(header))
            {
                builder.AddError("Ingest:Columns:" + logical + " " + "is empty: name the header of that column in the file");
            }
            else if (!headers.TryAdd(header.Trim(), logical))
            {
                builder.AddError("Ingest:Columns:" + logical + " " + $"= '{header}': the same header as Ingest:Columns:{headers[header.Trim()]}");
            }
        }

        foreach (var required in new[] { "EventType", "OccurredAt", "MailingId" })
        {
            if (!columns.ContainsKey(required))
            {
                builder.AddError("Ingest:Columns:" + required + " " + "is missing: a response export needs that column");
            }
        }

        if (!columns.ContainsKey("RecipientId") && !columns.ContainsKey("Email"))
        {
            builder.AddError("Ingest:Columns:RecipientId" + " " + "is missing, and so is Ingest:Columns:Email: a response export needs one of them");
        }
    }

    private static void ValidateEventTypes(ValidateOptionsResultBuilder builder, Dictionary<string, string>? eventTypes)
    {
        if (eventTypes is null)
        {
            return;
        }

        if (eventTypes.Count == 0)
        {
            builder.AddError("Ingest:EventTypes" + " " + "is empty: map at least one text of the file to an event type, or leave the section out");
        }

        foreach (var (text, type) in eventTypes)
        {
            if (!IsEventType(type))
            {
                builder.AddError("Ingest:EventTypes:" + text + " " + $"= '{type}': not an event type; known: {string.Join(", ", Enum.GetNames<ResponseEventType>())}");
            }
        }
    }

    private static HashSet<string> ValidateStatusLabels(ValidateOptionsResultBuilder builder, Dictionary<string, string>? statusLabels)
    {
        var labels = new HashSet<string>(StringComparer.Ordinal);
        statusLabels ??= [];
        foreach (var (type, label) in statusLabels)
        {
            if (!IsEventType(type))
            {
                builder.AddError("Ingest:StatusLabels:" + type + " " + $"= '{label}': not an event type; known: {string.Join(", ", Enum.GetNames<ResponseEventType>())}");
            }
            else if (string.IsNullOrWhiteSpace(label))
            {
                builder.AddError("Ingest:StatusLabels:" + type + " " + "is empty: name the member status label of that event type");
            }
            else
            {
                labels.Add(label.Trim());
            }
        }

        foreach (var type in Enum.GetNames<ResponseEventType>())
        {
            if (!statusLabels.ContainsKey(type))
            {
                builder.AddError("Ingest:StatusLabels:" + type + " " + "is missing: every event type needs a member status label");
            }
        }

        return labels;
    }

    private static void ValidatePrecedence(ValidateOptionsResultBuilder builder, List<string>? precedence, HashSet<string> labels)
    {
        var effective = precedence is null or { Count: 0 } ? IngestOptions.DefaultStatusPrecedence : precedence;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var label in effective)
        {
            if (string.IsNullOrWhiteSpace(label) || !seen.Add(label.Trim()))
            {
                builder.AddError("Ingest:StatusPrecedence" + " " + $"= [{string.Join(", ", effective)}]: '{label}' is empty or listed twice");
            }
        }

        var missing = labels.Where(l => !seen.Contains(l)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            builder.AddError("Ingest:StatusPrecedence" + " " + $"= [{string.Join(", ", effective)}]: lacks {string.Join(", ", missing)} (every label of Ingest:StatusLabels must be ranked)");
        }
    }

    private static bool IsEventType(string? text) =>
        text is not null && Enum.GetNames<ResponseEventType>().Contains(text.Trim(), StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,37}__c$", RegexOptions.CultureInvariant)]
    private static partial Regex CustomField();
}
