namespace CampaignEtl.Transfer;

/// <summary>
/// The file drop shared with the platform: response exports are listed and downloaded from it, recipient files
/// uploaded to it. Names address files in the configured <see cref="TransferOptions.RemoteFolder"/>.
/// </summary>
public interface IFileDrop
{
    /// <summary>Regular files in <paramref name="remoteFolder"/> (default: the configured folder); folders and this port's own temporaries are left out.</summary>
    Task<IReadOnlyList<RemoteFileEntry>> ListAsync(string? remoteFolder = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams <paramref name="name"/> to a temporary file next to <paramref name="localTargetPath"/>, flushes it to disk,
    /// checks the size the server reports and only then renames it into place: the target is absent or complete.
    /// An existing target is never overwritten.
    /// </summary>
    Task<DownloadedFile> DownloadAsync(string name, string localTargetPath, CancellationToken cancellationToken = default);

    /// <summary>
    /// Uploads under a temporary remote name, then renames it to <paramref name="remoteName"/>.
    /// Fails with <see cref="FileDropException"/> when <paramref name="remoteName"/> exists: uploads never overwrite.
    /// </summary>
    Task UploadAsync(string localPath, string remoteName, CancellationToken cancellationToken = default);

    /// <summary>Moves <paramref name="name"/> into the configured processed folder; nothing on the drop is ever deleted.</summary>
    Task MoveToProcessedAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A file on the drop. <see cref="Size"/> and <see cref="Modified"/> are null when the server does not say.</summary>
public sealed record RemoteFileEntry(string Name, long? Size, DateTimeOffset? Modified);

/// <summary>The local result of a download: the full target path and its length in bytes.</summary>
public sealed record DownloadedFile(string Name, string LocalPath, long Length);
