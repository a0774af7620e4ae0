namespace CampaignEtl.Pipeline.Archive;

/// <summary>The archive could not take a file: unwritable folder, full disk. The stage fails; nothing partial remains.</summary>
public sealed class ArchiveWriteException : Exception
{
    private ArchiveWriteException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public string RelativePath { get; private init; } = string.Empty;

    internal static ArchiveWriteException CannotWrite(string relativePath, Exception inner) =>
        new($"cannot write '{relativePath}' to the archive: {Reason(inner)}", inner) { RelativePath = relativePath };

    // .NET appends " : '<full path>'" to I/O messages; the relative path is already named, the temp path says nothing.
    private static string Reason(Exception inner)
    {
        var message = inner is ArchiveWriteException archive ? archive.InnerException?.Message ?? archive.Message : inner.Message;
        var cut = message.IndexOf(" : '", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd('.', ' ');
    }
}
