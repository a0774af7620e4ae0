using System.Text.RegularExpressions;
using CampaignEtl.Crm.Store;

namespace CampaignEtl.Crm.Selections;

/// <summary>
/// The platform's blocklist as the CRM knows it: exact addresses and wildcard patterns (<c>*</c> one
/// or more characters, <c>?</c> exactly one, as on the platform), matched case-insensitively.
/// Loaded once per stage; its size is the number of entries, never the number of people.
/// </summary>
public sealed class Blocklist
{
    private readonly HashSet<string> _exact;
    private readonly HashSet<string> _domains;
    private readonly Regex? _wildcards;

    public Blocklist(IEnumerable<string> patterns)
    {
        _exact = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        _domains = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var wildcards = new List<string>();
        foreach (var pattern in patterns.Select(p => p.Trim().ToLowerInvariant()).Where(p => p.Length > 0))
        {
            if (pattern.StartsWith("*@", StringComparison.Ordinal) && pattern.IndexOfAny(['*', '?', '@'], 2) < 0)
            {
                // The usual wildcard, a whole domain: a set lookup instead of a regex per address.
                _domains.Add(pattern[2..]);
            }
            else if (pattern.Contains('*') || pattern.Contains('?'))
            {
                wildcards.Add(Regex.Escape(pattern).Replace("\\*", ".+", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal));
            }
            else
            {
                _exact.Add(pattern);
            }
        }

        _wildcards = wildcards.Count == 0
            ? null
            : new Regex("^(?:" + string.Join("|", wildcards) + ")$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking);
    }

    public static Blocklist Empty { get; } = new([]);

    public int Count => _exact.Count + _domains.Count + (_wildcards is null ? 0 : 1);

    /// <summary>Whether a trimmed address is blocked (case-insensitive).</summary>
    public bool Blocks(string email) =>
        _exact.Contains(email) || BlockedDomain(email) || (_wildcards?.IsMatch(email) ?? false);

    /// <summary><c>*@domain</c>: one or more characters, then the last '@', then exactly that domain.</summary>
    private bool BlockedDomain(string email)
    {
        if (_domains.Count == 0)
        {
            return false;
        }

        var at = email.LastIndexOf('@');
        return at > 0 && _domains.Contains(email[(at + 1)..]);
    }

    public static async Task<Blocklist> LoadAsync(CrmDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(readOnly: true, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT pattern FROM blocklist_entry";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var patterns = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            patterns.Add(reader.GetString(0));
        }

        return new Blocklist(patterns);
    }
}
