namespace CampaignEtl.Sandbox.Store;

/// <summary>Blocklist patterns: <c>*</c> matches any run of characters (also none), <c>?</c> exactly one; case-insensitive (ASCII), whole address.</summary>
internal static class Wildcard
{
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    public static bool IsMatch(string pattern, string text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

/// <summary>The address check behind addAll3 code 1: one @, a non-empty local part, a dotted domain, no spaces or control characters.</summary>
internal static class EmailSyntax
{
    public static bool IsValid(string? address)
    {
        if (string.IsNullOrEmpty(address) || address.Length > 254)
        {
            return false;
        }

        var at = address.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != address.LastIndexOf('@') || at > 64)
        {
            return false;
        }

        var domain = address.AsSpan(at + 1);
        if (domain.Length < 3 || domain[0] == '.' || domain[^1] == '.' || domain.IndexOf('.') < 0 || domain.IndexOf("..".AsSpan()) >= 0)
        {
            return false;
        }

        foreach (var c in address)
        {
            if (c <= ' ' || c == ',' || c == ';' || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' || c == '\\' || c == '"')
            {
                return false;
            }
        }

        return address[0] != '.' && address[at - 1] != '.';
    }
}
