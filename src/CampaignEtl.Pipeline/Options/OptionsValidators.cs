using System.Globalization;
using System.Text.RegularExpressions;
using CampaignEtl.Crm.Selections;
using Cronos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Pipeline.Options;

// Each validator collects every problem of its section, naming the key and the bad value, so one
// start shows everything to fix. The host runs them all at start (ValidateOnStart).

public sealed class DataOptionsValidator : IValidateOptions<DataOptions>
{
    public ValidateOptionsResult Validate(string? name, DataOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(options.Folder))
        {
            builder.AddError("Data:Folder" + " " + "must name a folder");
        }

        if (options.BusyTimeoutSeconds is < 1 or > 600)
        {
            builder.AddError("Data:BusyTimeoutSeconds" + " " + Invariant($"= {options.BusyTimeoutSeconds}: must be between 1 and 600 seconds"));
        }

        return builder.Build();
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

public sealed class RunOptionsValidator : IValidateOptions<RunOptions>
{
    public ValidateOptionsResult Validate(string? name, RunOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (!TimeZones.TryFind(options.BusinessTimeZone, out _))
        {
            builder.AddError("Run:BusinessTimeZone" + " " + $"= '{options.BusinessTimeZone}': not a known time zone id (e.g. UTC, Europe/Berlin)");
        }

        if (options.MaxRejectRate is < 0 or > 1 || double.IsNaN(options.MaxRejectRate))
        {
            builder.AddError("Run:MaxRejectRate" + " " + DataOptionsValidator.Invariant($"= {options.MaxRejectRate}: must be between 0 and 1"));
        }

        return builder.Build();
    }
}

public sealed class ScheduleOptionsValidator : IValidateOptions<ScheduleOptions>
{
    public ValidateOptionsResult Validate(string? name, ScheduleOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        try
        {
            CronExpression.Parse(options.Cron ?? string.Empty);
        }
        catch (CronFormatException ex)
        {
            builder.AddError("Schedule:Cron" + " " + $"= '{options.Cron}': not a five-field cron expression ({ex.Message.TrimEnd('.')})");
        }

        if (!TimeZones.TryFind(options.TimeZone, out _))
        {
            builder.AddError("Schedule:TimeZone" + " " + $"= '{options.TimeZone}': not a known time zone id");
        }

        return builder.Build();
    }
}

public sealed class ArchiveOptionsValidator : IValidateOptions<ArchiveOptions>
{
    public ValidateOptionsResult Validate(string? name, ArchiveOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.RetentionDays < 0)
        {
            builder.AddError("Archive:RetentionDays" + " " + DataOptionsValidator.Invariant($"= {options.RetentionDays}: must be 0 (keep everything) or a number of days"));
        }

        return builder.Build();
    }
}

public sealed partial class ExportOptionsValidator(IConfiguration configuration) : IValidateOptions<ExportOptions>
{
    private static readonly HashSet<string> TechnicalFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "recipient-id", "email", "opt-in-id", "description", "media-type", "entity-type", "entity-id",
    };

    public ValidateOptionsResult Validate(string? name, ExportOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.BatchSize is < 1 or > 100_000)
        {
            builder.AddError("Export:BatchSize" + " " + DataOptionsValidator.Invariant($"= {options.BatchSize}: must be between 1 and 100000"));
        }

        if (options.ReadPartitions is < 1 or > 16)
        {
            builder.AddError("Export:ReadPartitions" + " " + DataOptionsValidator.Invariant($"= {options.ReadPartitions}: must be between 1 and 16"));
        }

        if (options.BoundedCapacity is < 1 or > 1000)
        {
            builder.AddError("Export:BoundedCapacity" + " " + DataOptionsValidator.Invariant($"= {options.BoundedCapacity}: must be between 1 and 1000"));
        }

        if (options.RecipientLists.Count == 0)
        {
            builder.AddError("Export:RecipientLists" + " " + "is empty: configure at least one recipient list");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var listIds = new HashSet<long>();
        for (var i = 0; i < options.RecipientLists.Count; i++)
        {
            ValidateList(builder, options.RecipientLists[i], i, names, listIds);
        }

        return builder.Build();
    }

    private void ValidateList(ValidateOptionsResultBuilder builder, RecipientListOptions list, int index, HashSet<string> names, HashSet<long> listIds)
    {
        var key = DataOptionsValidator.Invariant($"Export:RecipientLists:{index}");
        if (!ListNamePattern().IsMatch(list.Name ?? string.Empty))
        {
            builder.AddError(key + ":Name" + " " + $"= '{list.Name}': must be 1 to 40 of a-z, 0-9 and '-' (it becomes part of file names)");
        }
        else if (!names.Add(list.Name!))
        {
            builder.AddError(key + ":Name" + " " + $"= '{list.Name}': another recipient list has the same name");
        }

        if (list.ListId <= 0)
        {
            builder.AddError(key + ":ListId" + " " + DataOptionsValidator.Invariant($"= {list.ListId}: missing or not a positive platform recipient list id"));
        }
        else if (!listIds.Add(list.ListId))
        {
            builder.AddError(key + ":ListId" + " " + DataOptionsValidator.Invariant($"= {list.ListId}: another recipient list has the same list id"));
        }

        var optIns = configuration.GetSection(key + ":OptInId").GetChildren().Select(c => c.Value).ToList();
        if (optIns.Count > 0)
        {
            builder.AddError(key + ":OptInId" + " " + $"= [{string.Join(", ", optIns)}]: {optIns.Count} opt-ins given; a recipient list has exactly one advertising consent, never mixed");
        }
        else if (list.OptInId is null or <= 0)
        {
            builder.AddError(key + ":OptInId" + " " + $"= '{list.OptInId}': missing; a recipient list needs exactly one opt-in id (advertising consent)");
        }

        if (string.IsNullOrWhiteSpace(list.Description))
        {
            builder.AddError(key + ":Description" + " " + "is empty: the technical field 'description' is required");
        }

        if (string.IsNullOrWhiteSpace(list.MediaType))
        {
            builder.AddError(key + ":MediaType" + " " + "is empty: the technical field 'media-type' is required");
        }

        if (list.Selection.MarketingLists.Count == 0 && list.Selection.SavedFilters.Count == 0)
        {
            builder.AddError(key + ":Selection" + " " + "is empty: name at least one marketing list or saved filter");
        }

        foreach (var (attribute, field) in list.Attributes)
        {
            if (TechnicalFields.Contains(attribute))
            {
                builder.AddError(key + ":Attributes:" + attribute + " " + $"= '{attribute}': collides with a technical field of the export file");
            }

            if (!PersonFields.IsKnown(field))
            {
                builder.AddError(key + ":Attributes:" + attribute + " " + $"= '{field}': not a CRM person field; known: {string.Join(", ", PersonFields.Names)}");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex ListNamePattern();
}

public static class TimeZones
{
    public static bool TryFind(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
    }
}
