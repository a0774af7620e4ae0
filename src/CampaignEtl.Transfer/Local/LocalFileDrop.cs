using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace CampaignEtl.Transfer.Local;

/// <summary>The drop as a folder on this machine: the sandbox's drop and tests. Remote paths resolve below <see cref="TransferOptions.LocalFolder"/>.</summary>
internal sealed class LocalFileDrop(TransferOptions options, TimeProvider time, ILogger logger) : FileDropBase(options, time, logger)
{
    protected override Task<IFileDropSession> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(Options.LocalFolder);
        if (!Directory.Exists(root))
        {
            throw new FileDropException($"Transfer:LocalFolder '{root}' does not exist");
        }

        return Task.FromResult<IFileDropSession>(new LocalSession(root));
    }

    private sealed class LocalSession(string root) : IFileDropSession
    {
        private const int BufferSize = 81920;

        public async IAsyncEnumerable<RemoteFileEntry> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (var file in new DirectoryInfo(Resolve(folder)).EnumerateFiles())
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new RemoteFileEntry(file.Name, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
            }
        }

        public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => Task.FromResult(File.Exists(Resolve(path)) || Directory.Exists(Resolve(path)));

        public async Task<long?> DownloadAsync(string path, Stream destination, CancellationToken cancellationToken)
        {
            var full = Resolve(path);
            if (!File.Exists(full))
            {
                throw new FileDropException($"download: no such file '{path}' on the drop");
            }

            var source = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (source.ConfigureAwait(false))
            {
                var length = source.Length;
                await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                return length;
            }
        }

        public async Task<long?> UploadAsync(Stream source, string path, CancellationToken cancellationToken)
        {
            var full = Resolve(path);
            var target = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                target.Flush(flushToDisk: true);
                return target.Length;
            }
        }

        public Task RenameAsync(string from, string to, CancellationToken cancellationToken)
        {
            File.Move(Resolve(from), Resolve(to), overwrite: false);
            return Task.CompletedTask;
        }

        public Task EnsureFolderAsync(string folder, CancellationToken cancellationToken)
        {
            Directory.CreateDirectory(Resolve(folder));
            return Task.CompletedTask;
        }

        public Task DeleteTemporaryAsync(string path, CancellationToken cancellationToken)
        {
            File.Delete(Resolve(path));
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        // Paths were validated segment by segment; the check below is the last guard that nothing leaves the root.
        private string Resolve(string path)
        {
            var full = Path.GetFullPath(Path.Combine(root, path.TrimStart('/')));
            if (full != root && !full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new FileDropException($"'{RemoteName.Escape(path)}' resolves outside Transfer:LocalFolder");
            }

            return full;
        }
    }
}
