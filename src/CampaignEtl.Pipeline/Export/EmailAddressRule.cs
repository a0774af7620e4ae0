namespace CampaignEtl.Pipeline.Export;

/// <summary>
/// The address check of the export: the platform answers an invalid address with code 1, so such
/// rows are rejected here, with a reason, before they cost a call. Deliberately simple, not RFC 5322:
/// one '@', a local part of 1 to 64 printable characters without spaces or dot errors, and a domain
/// with at least two labels of letters, digits and '-'.
/// </summary>
public static class EmailAddressRule
{
    /// <summary>Null when the address is acceptable, otherwise the reason (never the address itself).</summary>
    public static string? Check(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return "missing";
        }

        if (email.Length > 254)
        {
            return "longer than 254 characters";
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at < 0 || at != email.LastIndexOf('@'))
        {
            return "must contain exactly one '@'";
        }

        var local = email.AsSpan(0, at);
        var domain = email.AsSpan(at + 1);
        if (local.IsEmpty || local.Length > 64)
        {
            return "local part must have 1 to 64 characters";
        }

        foreach (var ch in local)
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch) || ch is '"' or '(' or ')' or ',' or ':' or ';' or '<' or '>' or '[' or ']' or '\\')
            {
                return "local part contains a space or a character not allowed unquoted";
            }
        }

        if (local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
        {
            return "local part has a leading, trailing or double dot";
        }

        var labels = 0;
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
            {
                return "domain has an empty or malformed label";
            }

            foreach (var ch in label)
            {
                if (!char.IsLetterOrDigit(ch) && ch != '-')
                {
                    return "domain contains a character other than letters, digits, '-' and '.'";
                }
            }

            labels++;
        }

        return labels < 2 ? "domain needs at least two labels (e.g. example.com)" : null;
    }
}
