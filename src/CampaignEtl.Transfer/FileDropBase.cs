using Microsoft.Extensions.Logging;

namespace CampaignEtl.Transfer;

/// <summary>
/// One connection to the drop for the length of one attempt. Paths are '/'-separated, from the login folder
/// (or absolute), already validated. Implementations translate their protocol's errors: a dropped connection or a
/// timeout as <see cref="FileDropTransientException"/> (or leave it to <see cref="FileDropBase.IsTransient"/>).
/// </summary>
internal interface IFileDropSession : IAsyncDisposable
{
    IAsyncEnumerable<RemoteFileEntry> ListAsync(string folder, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string path, CancellationToken cancellationToken);

    /// <summary>Streams the file into <paramref name="destination"/>; returns the size the server reported beforehand, if any.</summary>
    Task<long?> DownloadAsync(string path, Stream destination, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="source"/> to <paramref name="path"/> (a temporary of ours: replacing it is fine); returns the size the server then reports, if any.</summary>
    Task<long?> UploadAsync(Stream source, string path, CancellationToken cancellationToken);

    /// <summary>Renames; fails if <paramref name="to"/> exists where the protocol can say so.</summary>
    Task RenameAsync(string from, string to, CancellationToken cancellationToken);

    Task EnsureFolderAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Only ever used on this port's own temporary uploads.</summary>
    Task DeleteTemporaryAsync(string path, CancellationToken cancellationToken);
}

/// <summary>
/// The transfer rules every transport shares: name checks, temporary-then-rename on both sides, size checks, never
/// overwriting, and retries with backoff on a fresh connection after a transient failure.
/// </summary>
internal abstract class FileDropBase(TransferOptions options, TimeProvider time, ILogger logger) : IFileDrop
{
    private const int BufferSize = 81920;

    protected TransferOptions Options { get; } = options;

    /// <summary>Where the drop is, for messages: folder or protocol, host, port and remote folder (no user, no secret).</summary>
    public override string ToString() => Options.Protocol == TransferProtocol.Local
        ? $"local folder {Options.LocalFolder}"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Options.Protocol} {Options.Host}:{Options.EffectivePort} folder '{Options.RemoteFolder}'");

    protected ILogger Logger { get; } = logger;

    public async Task<IReadOnlyList<RemoteFileEntry>> ListAsync(string? remoteFolder = null, CancellationToken cancellationToken = default)
    {
        var folder = remoteFolder ?? Options.RemoteFolder;
        RemoteName.ThrowIfInvalidFolder(folder, "list");
        return await RetryAsync("list", folder, async (session, ct) =>
        {
            // A listing is one folder's directory entries, not rows: holding it is bounded by the drop, not the data.
            var entries = new List<RemoteFileEntry>();
            var skipped = 0;
            string? example = null;
            await foreach (var entry in session.ListAsync(folder, ct).ConfigureAwait(false))
            {
                if (RemoteName.IsTemporary(entry.Name))
                {
                    continue;
                }

                if (RemoteName.Problem(entry.Name) is { } problem)
                {
                    skipped++;
                    example ??= problem;
                    continue;
                }

                entries.Add(entry);
            }

            if (skipped > 0)
            {
                Log.SkippedBadNames(Logger, folder, Options.Protocol, skipped, example!);
            }

            entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return (IReadOnlyList<RemoteFileEntry>)entries;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<DownloadedFile> DownloadAsync(string name, string localTargetPath, CancellationToken cancellationToken = default)
    {
        RemoteName.ThrowIfInvalid(name, "download");
        ArgumentException.ThrowIfNullOrEmpty(localTargetPath);
        var target = Path.GetFullPath(localTargetPath);
        var directory = Path.GetDirectoryName(target) ?? throw new FileDropException($"download of '{name}': the target {target} has no folder");
        if (File.Exists(target))
        {
            throw new FileDropException($"download of '{name}': the target {target} exists already; downloads never overwrite");
        }

        Directory.CreateDirectory(directory);
        var remotePath = RemoteName.Combine(Options.RemoteFolder, name);
        var result = await RetryAsync("download", name, async (session, ct) =>
        {
            var temporary = Path.Combine(directory, RemoteName.Temporary(Path.GetFileName(target)));
            try
            {
                long? reported;
                long written;
                var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
                await using (stream.ConfigureAwait(false))
                {
                    reported = await session.DownloadAsync(remotePath, stream, ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);

                    // The rename below must not publish bytes still in the page cache: a crash would leave a short file.
                    stream.Flush(flushToDisk: true);
                    written = stream.Length;
                }

                if (reported is { } size && size != written)
                {
                    throw new FileDropTransientException($"download of '{name}': received {written} bytes, the server reported {size}");
                }

                // Atomic on one file system, and refuses a target that appeared meanwhile.
                File.Move(temporary, target, overwrite: false);
                return new DownloadedFile(name, target, written);
            }
            finally
            {
                File.Delete(temporary);
            }
        }, cancellationToken).ConfigureAwait(false);
        Log.Downloaded(Logger, name, result.Length, Options.Protocol, target);
        return result;
    }

    public async Task UploadAsync(string localPath, string remoteName, CancellationToken cancellationToken = default)
    {
        RemoteName.ThrowIfInvalid(remoteName, "upload");
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        if (!File.Exists(localPath))
        {
            throw new FileDropException($"upload of '{remoteName}': the local file {localPath} does not exist");
        }

        var remotePath = RemoteName.Combine(Options.RemoteFolder, remoteName);

        // One temporary name for all attempts: a retry replaces what a dropped attempt left behind.
        var temporary = RemoteName.Combine(Options.RemoteFolder, RemoteName.Temporary(remoteName));
        long length = 0;
        await RetryAsync("upload", remoteName, async (session, ct) =>
        {
            await ThrowIfExistsAsync(session, remotePath, $"upload of '{remoteName}'", ct).ConfigureAwait(false);
            var published = false;
            try
            {
                var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (source.ConfigureAwait(false))
                {
                    length = source.Length;
                    var reported = await session.UploadAsync(source, temporary, ct).ConfigureAwait(false);
                    if (reported is { } size && size != length)
                    {
                        throw new FileDropTransientException($"upload of '{remoteName}': the server holds {size} bytes of {length}");
                    }
                }

                // Checked again: the rename of some protocols (FTP's RNTO) replaces an existing file silently.
                await ThrowIfExistsAsync(session, remotePath, $"upload of '{remoteName}'", ct).ConfigureAwait(false);
                await session.RenameAsync(temporary, remotePath, ct).ConfigureAwait(false);
                published = true;
                return true;
            }
            catch (FileDropException) when (!published)
            {
                await RemoveTemporaryAsync(session, temporary).ConfigureAwait(false);
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
        Log.Uploaded(Logger, remoteName, length, Options.Protocol);
    }

    public async Task MoveToProcessedAsync(string name, CancellationToken cancellationToken = default)
    {
        RemoteName.ThrowIfInvalid(name, "move to processed");
        var from = RemoteName.Combine(Options.RemoteFolder, name);
        var processed = Options.ProcessedPath;
        var to = RemoteName.Combine(processed, name);
        var attempts = 0;
        await RetryAsync("move to processed", name, async (session, ct) =>
        {
            attempts++;
            await session.EnsureFolderAsync(processed, ct).ConfigureAwait(false);
            var sourceExists = await session.ExistsAsync(from, ct).ConfigureAwait(false);
            var targetExists = await session.ExistsAsync(to, ct).ConfigureAwait(false);
            if (!sourceExists && targetExists && attempts > 1)
            {
                // The rename of an attempt whose answer was lost did happen.
                return true;
            }

            if (!sourceExists)
            {
                throw new FileDropException($"move to processed of '{name}': no such file in '{Options.RemoteFolder}'");
            }

            if (targetExists)
            {
                throw new FileDropException($"move to processed of '{name}': '{processed}' holds a file of that name already; it is never overwritten");
            }

            await session.RenameAsync(from, to, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        Log.MovedToProcessed(Logger, name, processed, Options.Protocol);
    }

    /// <summary>Opens a connection (and authenticates) for one attempt.</summary>
    protected abstract Task<IFileDropSession> OpenSessionAsync(CancellationToken cancellationToken);

    /// <summary>Whether another attempt on a new connection may succeed.</summary>
    protected virtual bool IsTransient(Exception exception) =>
        exception is FileDropTransientException or TimeoutException or System.Net.Sockets.SocketException
        || (exception is IOException and not (FileNotFoundException or DirectoryNotFoundException));

    private static async Task ThrowIfExistsAsync(IFileDropSession session, string path, string operation, CancellationToken cancellationToken)
    {
        if (await session.ExistsAsync(path, cancellationToken).ConfigureAwait(false))
        {
            throw new FileDropException($"{operation}: the drop holds a file of that name already; uploads never overwrite");
        }
    }

    private async Task RemoveTemporaryAsync(IFileDropSession session, string temporary)
    {
        try
        {
            using var timeout = new CancellationTokenSource(Options.Timeout);
            await session.DeleteTemporaryAsync(temporary, timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Cleaning up after a failure must not hide that failure.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.TemporaryLeft(Logger, temporary, Options.Protocol, exception.GetType().Name);
        }
    }

    private async Task<T> RetryAsync<T>(string operation, string name, Func<IFileDropSession, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var attempts = Math.Max(1, Options.Retry.Attempts);
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var session = await OpenSessionAsync(cancellationToken).ConfigureAwait(false);
                await using (session.ConfigureAwait(false))
                {
                    return await action(session, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception) when (IsTransient(exception) || exception is OperationCanceledException)
            {
                // A timeout inside a client library surfaces as OperationCanceledException with our token untouched.
                if (attempt >= attempts)
                {
                    throw new FileDropException($"{operation} of '{RemoteName.Escape(name)}' on the {Options.Protocol} drop failed after {attempt} attempt(s): {Describe(exception)}", exception);
                }

                var delay = Options.Retry.DelayBefore(attempt);
                Log.Retrying(Logger, operation, RemoteName.Escape(name), Options.Protocol, attempt, Describe(exception), delay);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Type and message only: the transports' own messages carry no credentials (they are never put into URIs).</summary>
    private static string Describe(Exception exception) => $"{exception.GetType().Name}: {exception.Message}";
}
