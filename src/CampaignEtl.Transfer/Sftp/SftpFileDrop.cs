using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace CampaignEtl.Transfer.Sftp;

/// <summary>The drop over SFTP (SSH.NET), with the server's host key pinned by its SHA-256 fingerprint.</summary>
internal sealed class SftpFileDrop(TransferOptions options, TimeProvider time, ILogger logger) : FileDropBase(options, time, logger)
{
    protected override async Task<IFileDropSession> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var client = new SftpClient(CreateConnectionInfo());
        client.OperationTimeout = Options.Timeout;
        string? refused = null;
        client.HostKeyReceived += (_, e) =>
        {
            var received = "SHA256:" + TransferOptions.NormalizeFingerprint(e.FingerPrintSHA256);
            if (!Options.PinHostKey)
            {
                Log.HostKeyNotPinned(Logger, received, Options.Host, Options.EffectivePort);
                e.CanTrust = true;
                return;
            }

            e.CanTrust = string.Equals(received, TransferOptions.NormalizeFingerprint(Options.HostKeyFingerprint), StringComparison.Ordinal);
            if (!e.CanTrust)
            {
                refused = received;
            }
        };

        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return new SftpSession(client);
        }
        catch (Exception exception) when (refused is not null)
        {
            client.Dispose();
            throw new FileDropException(
                $"SFTP server {Options.Host}:{Options.EffectivePort} offered the host key {refused}, which is not the pinned Transfer:HostKeyFingerprint {Options.HostKeyFingerprint}; refusing to connect",
                exception);
        }
        catch (SshAuthenticationException exception)
        {
            client.Dispose();
            throw new FileDropException($"SFTP login as '{Options.User}' to {Options.Host}:{Options.EffectivePort} was refused: {exception.Message}", exception);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    protected override bool IsTransient(Exception exception) =>
        base.IsTransient(exception)
        || exception is SshOperationTimeoutException or ObjectDisposedException
        || (exception is SshConnectionException connection && connection.DisconnectReason != Renci.SshNet.Messages.Transport.DisconnectReason.HostKeyNotVerifiable);

    private ConnectionInfo CreateConnectionInfo()
    {
        AuthenticationMethod method;
        if (!string.IsNullOrEmpty(Options.PrivateKeyPath))
        {
            PrivateKeyFile key;
            try
            {
                key = string.IsNullOrEmpty(Options.PrivateKeyPassphrase)
                    ? new PrivateKeyFile(Options.PrivateKeyPath)
                    : new PrivateKeyFile(Options.PrivateKeyPath, Options.PrivateKeyPassphrase);
            }
            catch (Exception exception) when (exception is SshException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // The library's message is generic, but the inner details of a key parser are not worth the risk.
                throw new FileDropException($"Transfer:PrivateKeyPath '{Options.PrivateKeyPath}' could not be read as a private key (wrong passphrase, unsupported format or unreadable file: {exception.GetType().Name})");
            }

            method = new PrivateKeyAuthenticationMethod(Options.User, key);
        }
        else
        {
            method = new PasswordAuthenticationMethod(Options.User, Options.Password);
        }

        return new ConnectionInfo(Options.Host, Options.EffectivePort, Options.User, method) { Timeout = Options.Timeout };
    }

    private sealed class SftpSession(SftpClient client) : IFileDropSession
    {
        public async IAsyncEnumerable<RemoteFileEntry> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var file in client.ListDirectoryAsync(Folder(folder), cancellationToken).ConfigureAwait(false))
            {
                if (file.IsRegularFile)
                {
                    yield return new RemoteFileEntry(file.Name, file.Length, new DateTimeOffset(DateTime.SpecifyKind(file.LastWriteTimeUtc, DateTimeKind.Utc)));
                }
            }
        }

        public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => client.ExistsAsync(path, cancellationToken);

        public async Task<long?> DownloadAsync(string path, Stream destination, CancellationToken cancellationToken)
        {
            var attributes = await client.GetAttributesAsync(path, cancellationToken).ConfigureAwait(false);
            if (!attributes.IsRegularFile)
            {
                throw new FileDropException($"download: '{path}' is not a regular file");
            }

            await client.DownloadFileAsync(path, destination, cancellationToken).ConfigureAwait(false);
            return attributes.Size;
        }

        public async Task<long?> UploadAsync(Stream source, string path, CancellationToken cancellationToken)
        {
            await client.UploadFileAsync(source, path, true, null, cancellationToken).ConfigureAwait(false);
            var attributes = await client.GetAttributesAsync(path, cancellationToken).ConfigureAwait(false);
            return attributes.Size;
        }

        // SSH_FXP_RENAME (not posix-rename@openssh.com) refuses an existing target on OpenSSH.
        public Task RenameAsync(string from, string to, CancellationToken cancellationToken) => client.RenameFileAsync(from, to, cancellationToken);

        public async Task EnsureFolderAsync(string folder, CancellationToken cancellationToken)
        {
            var path = folder.StartsWith('/') ? "/" : string.Empty;
            foreach (var segment in folder.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                path = path.Length == 0 || path == "/" ? path + segment : path + "/" + segment;
                if (!await client.ExistsAsync(path, cancellationToken).ConfigureAwait(false))
                {
                    await client.CreateDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public Task DeleteTemporaryAsync(string path, CancellationToken cancellationToken) => client.DeleteFileAsync(path, cancellationToken);

        public ValueTask DisposeAsync()
        {
            try
            {
                if (client.IsConnected)
                {
                    client.Disconnect();
                }
            }
            catch (Exception exception) when (exception is SshException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                // The connection is being dropped anyway.
            }

            client.Dispose();
            return ValueTask.CompletedTask;
        }

        private static string Folder(string folder) => string.IsNullOrEmpty(folder) ? "." : folder;
    }
}
