using System.Globalization;

namespace CampaignEtl.Transfer;

/// <summary>
/// Names and folders on the drop. A name is one path segment: a name from the platform (or a configuration typo)
/// must not reach outside the drop folder or smuggle protocol commands (CR/LF in FTP).
/// </summary>
public static class RemoteName
{
    public const int MaxLength = 255;

    /// <summary>Why <paramref name="name"/> is refused, or null when it is a usable file name.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the name is empty";
        }

        if (name.Length > MaxLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the name is longer than {MaxLength} characters");
        }

        if (name is "." or "..")
        {
            return "'.' and '..' are not file names";
        }

        if (name.Contains("..", StringComparison.Ordinal))
        {
            return "the name contains '..'";
        }

        foreach (var c in name)
        {
            if (c is '/' or '\\')
            {
                return "the name contains a path separator";
            }

            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return string.Create(CultureInfo.InvariantCulture, $"the name contains the control character U+{(int)c:X4}");
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="FileDropException"/> naming the problem; the name is shown escaped so control characters stay visible.</summary>
    public static void ThrowIfInvalid(string? name, string operation)
    {
        if (Problem(name) is { } problem)
        {
            throw new FileDropException($"{operation}: remote name '{Escape(name)}' refused: {problem}");
        }
    }

    /// <summary>Why <paramref name="folder"/> is refused: '/'-separated valid names, optionally absolute; empty means the login folder.</summary>
    public static string? FolderProblem(string? folder)
    {
        if (string.IsNullOrEmpty(folder) || folder == "/")
        {
            return null;
        }

        if (folder.Contains('\\', StringComparison.Ordinal))
        {
            return "the folder contains a backslash; use '/'";
        }

        foreach (var segment in folder.Trim('/').Split('/'))
        {
            if (Problem(segment) is { } problem)
            {
                return $"segment '{Escape(segment)}': {problem}";
            }
        }

        return null;
    }

    public static void ThrowIfInvalidFolder(string? folder, string operation)
    {
        if (FolderProblem(folder) is { } problem)
        {
            throw new FileDropException($"{operation}: remote folder '{Escape(folder)}' refused: {problem}");
        }
    }

    /// <summary>Joins a folder (validated) and a name with '/'; an empty folder is the login folder.</summary>
    public static string Combine(string? folder, string name)
    {
        if (string.IsNullOrEmpty(folder))
        {
            return name;
        }

        return folder == "/" ? "/" + name : folder.TrimEnd('/') + "/" + name;
    }

    /// <summary>This port's temporary names: hidden, recognisable, unique per transfer.</summary>
    internal static string Temporary(string name) => string.Create(CultureInfo.InvariantCulture, $".{name}.{Guid.NewGuid():N}.part");

    internal static bool IsTemporary(string name) =>
        name.StartsWith('.') && name.EndsWith(".part", StringComparison.Ordinal) && name.Length > 38;

    internal static string Escape(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var builder = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
