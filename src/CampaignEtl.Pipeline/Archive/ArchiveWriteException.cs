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
        new($"cannot write '{relativePath}' to the archive: {inner.Message}", inner) { RelativePath = relativePath };
}
