using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace CampaignEtl.Composition;

/// <summary>
/// Lets an array in the <c>--config</c> file replace the same array of the embedded defaults whole. Plain configuration
/// layering merges arrays by index: an operator's file with two recipient lists would keep the defaults' third list,
/// and each of its lists would inherit the demo list's attribute mappings at the same position. Objects still merge
/// key by key, and environment variables still override single entries.
/// </summary>
internal static class ArrayReplacingJson
{
    /// <summary>The configuration paths (<c>Export:RecipientLists</c>) of every array in the JSON file, at any depth.</summary>
    public static IReadOnlyList<string> ArrayPaths(string jsonFile)
    {
        var paths = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(jsonFile), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            Collect(document.RootElement, null, paths);
        }
        catch (JsonException)
        {
            // The configuration provider reports the bad file with its own message when it loads it.
        }

        return paths;
    }

    /// <summary>The defaults' entries, less those under any of <paramref name="replacedArrays"/>.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Without(IConfiguration defaults, IReadOnlyList<string> replacedArrays) =>
        defaults.AsEnumerable().Where(entry => entry.Value is not null && !replacedArrays.Any(array => IsUnder(entry.Key, array)));

    private static bool IsUnder(string key, string array) =>
        key.Equals(array, StringComparison.OrdinalIgnoreCase)
        || (key.Length > array.Length && key[array.Length] == ':' && key.StartsWith(array, StringComparison.OrdinalIgnoreCase));

    private static void Collect(JsonElement element, string? path, List<string> paths)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Collect(property.Value, path is null ? property.Name : path + ":" + property.Name, paths);
                }

                break;
            case JsonValueKind.Array when path is not null:
                paths.Add(path);
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, path + ":" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), paths);
                    index++;
                }

                break;
            default:
                break;
        }
    }
}
