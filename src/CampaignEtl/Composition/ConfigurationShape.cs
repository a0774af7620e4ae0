using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Configuration;

namespace CampaignEtl.Composition;

/// <summary>
/// Checks the configuration's shape before anything binds it: keys that no option has (typos) and
/// values that do not convert to the option's type, each named with its full key and bad value.
/// The binder would stop at the first such problem, with a message that names neither; here every
/// one is listed, the bad keys are taken out, and the validators still run on the rest, so one
/// start reports every error at once.
/// </summary>
internal static class ConfigurationShape
{
    /// <summary>The sections the product binds, with their options types.</summary>
    private static readonly (string Section, Type Options)[] Sections =
    [
        (DataOptions.Section, typeof(DataOptions)),
        (RunOptions.Section, typeof(RunOptions)),
        (ScheduleOptions.Section, typeof(ScheduleOptions)),
        (ArchiveOptions.Section, typeof(ArchiveOptions)),
        (ExportOptions.Section, typeof(ExportOptions)),
        (SuppressOptions.Section, typeof(SuppressOptions)),
        (RefillOptions.Section, typeof(RefillOptions)),
        (IngestOptions.Section, typeof(IngestOptions)),
        (PlatformOptions.Section, typeof(PlatformOptions)),
        (SandboxOptions.Section, typeof(SandboxOptions)),
        (TransferOptions.Section, typeof(TransferOptions)),
    ];

    /// <summary>
    /// Every shape problem, and the keys to leave out so the rest can be bound and validated. Only the
    /// data folder's section unless <paramref name="everySection"/>: a typo in a list must not keep
    /// an operator from <c>status</c>.
    /// </summary>
    public static (List<string> Problems, List<string> BadKeys, List<string> ScalarLists) Check(IConfiguration configuration, bool everySection)
    {
        var problems = new List<string>();
        var badKeys = new List<string>();
        var scalarLists = new List<string>();
        foreach (var (section, type) in everySection ? Sections : Sections[..1])
        {
            CheckObject(configuration.GetSection(section), type, problems, badKeys, scalarLists);
        }

        return (problems, badKeys, scalarLists);
    }

    /// <summary>The configuration without <paramref name="badKeys"/> (and anything below them), as one in-memory source.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Without(IConfiguration configuration, IReadOnlyCollection<string> badKeys) =>
        configuration.AsEnumerable().Where(pair => !badKeys.Any(bad =>
            string.Equals(pair.Key, bad, StringComparison.OrdinalIgnoreCase)
            || pair.Key.StartsWith(bad + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase)));

    private static void CheckObject(IConfigurationSection section, Type type, List<string> problems, List<string> badKeys, List<string> scalarLists)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || IsCollection(p.PropertyType)).ToList();
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                problems.Add($"{child.Path}: unknown configuration key (check the spelling against schemas/appsettings.schema.json)");
                badKeys.Add(child.Path);
                continue;
            }

            CheckValue(child, property.PropertyType, problems, badKeys, scalarLists);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> problems, List<string> badKeys, List<string> scalarLists)
    {
        var scalar = Nullable.GetUnderlyingType(type) ?? type;
        if (scalar == typeof(string) || scalar.IsPrimitive || scalar.IsEnum || scalar == typeof(decimal) || scalar == typeof(TimeSpan))
        {
            if (section.Value is null && section.GetChildren().Any())
            {
                if (string.Equals(section.Key, nameof(RecipientListOptions.OptInId), StringComparison.OrdinalIgnoreCase))
                {
                    // Two opt-ins for one list is the export validator's to explain with the consent rule; the binder
                    // gets an empty value beside the list, so it binds null instead of throwing.
                    scalarLists.Add(section.Path);
                }
                else
                {
                    problems.Add($"{section.Path}: a list where one {Describe(scalar)} belongs");
                    badKeys.Add(section.Path);
                }

                return;
            }

            if (section.Value is { } value && !Converts(value, scalar))
            {
                problems.Add($"{section.Path} = '{value}': not a valid {Describe(scalar)}");
                badKeys.Add(section.Path);
            }

            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var valueType = type.GetGenericArguments()[1];
            foreach (var entry in section.GetChildren())
            {
                CheckValue(entry, valueType, problems, badKeys, scalarLists);
            }

            return;
        }

        if (IsCollection(type))
        {
            var itemType = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            foreach (var item in section.GetChildren())
            {
                CheckValue(item, itemType, problems, badKeys, scalarLists);
            }

            return;
        }

        CheckObject(section, type, problems, badKeys, scalarLists);
    }

    private static bool IsCollection(Type type) =>
        type != typeof(string) && (type.IsArray || (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) && type.GetGenericArguments().Length == 1));

    private static bool Converts(string value, Type type)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException || ex.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) => "whole number",
        _ when type == typeof(double) || type == typeof(decimal) => "number",
        _ when type == typeof(bool) => "boolean (true or false)",
        _ when type == typeof(TimeSpan) => "duration (hh:mm:ss)",
        _ when type.IsEnum => "value (one of " + string.Join(", ", Enum.GetNames(type)) + ")",
        _ => type.Name.ToLower(CultureInfo.InvariantCulture),
    };
}

/// <summary>What <see cref="ConfigurationShape"/> found at start; reported with the validators' findings.</summary>
internal sealed record ConfigurationShapeProblems(IReadOnlyList<string> Problems, IReadOnlyList<string> BadKeys)
{
    /// <summary>The validators' findings, less those about a key already reported as malformed (it was left out, so they see a default).</summary>
    public IEnumerable<string> With(IEnumerable<string> validatorFindings) =>
        Problems.Concat(validatorFindings.Where(f => !BadKeys.Any(key => f.StartsWith(key + " ", StringComparison.OrdinalIgnoreCase))));
}
