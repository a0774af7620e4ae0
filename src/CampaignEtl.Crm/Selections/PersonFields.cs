namespace CampaignEtl.Crm.Selections;

/// <summary>
/// The person fields an attribute mapping or a saved filter may name, each with its SQL expression.
/// Only these names ever reach SQL text; values always go in parameters.
/// </summary>
public static class PersonFields
{
    private static readonly Dictionary<string, string> Expressions = new(StringComparer.Ordinal)
    {
        ["id"] = "p.id",
        ["entity_type"] = "p.entity_type",
        ["salutation"] = "p.salutation",
        ["first_name"] = "p.first_name",
        ["last_name"] = "p.last_name",
        ["email"] = "p.email",
        ["title"] = "p.title",
        ["city"] = "p.city",
        ["country"] = "p.country",
        ["language"] = "p.language",
        ["account_id"] = "p.account_id",
        ["company"] = "COALESCE(p.company, p.account_name)",
        ["created_at"] = "p.created_at",
    };

    public static IReadOnlyCollection<string> Names => Expressions.Keys;

    public static bool IsKnown(string name) => Expressions.ContainsKey(name);

    internal static string Expression(string name) =>
        Expressions.TryGetValue(name, out var sql)
            ? sql
            : throw new ArgumentException($"'{name}' is not a person field; known fields: {string.Join(", ", Names)}", nameof(name));
}
