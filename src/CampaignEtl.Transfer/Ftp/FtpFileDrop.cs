// FtpWebRequest, WebRequest.Create and ServicePointManager are obsolete (SYSLIB0014), and this is the one class that
// uses them: FluentFTP, the maintained FTP client, is not served by the package registry here. When it is, a
// FluentFTP-based IFileDropSession replaces this file and nothing else changes.
#pragma warning disable SYSLIB0014

using System.Net;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace CampaignEtl.Transfer.Ftp;

/// <summary>
/// The drop over FTP, or FTPS with explicit TLS (AUTH TLS, control and data channels), always passive and binary,
/// one control connection per request. With Transfer:CertificateThumbprint the server certificate is pinned; without
/// it, it must chain to the system trust store and match the host name.
/// </summary>
internal sealed class FtpFileDrop(TransferOptions options, TimeProvider time, ILogger logger) : FileDropBase(options, time, logger)
{
    // FtpWebRequest has no per-request certificate hook, only the process-wide ServicePointManager callback. It is
    // installed once and asks the FtpFileDrop of the calling async flow; other callers keep their previous answer.
    private static readonly AsyncLocal<FtpFileDrop?> Current = new();
    private static readonly Lazy<bool> CallbackInstalled = new(InstallCallback);

    protected override Task<IFileDropSession> OpenSessionAsync(CancellationToken cancellationToken)
    {
        _ = CallbackInstalled.Value;
        return Task.FromResult<IFileDropSession>(new FtpSession(this));
    }

    protected override bool IsTransient(Exception exception) => exception switch
    {
        WebException web when web.Status == WebExceptionStatus.ProtocolError =>
            web.Response is FtpWebResponse response && IsTransient(response.StatusCode),
        WebException web => web.Status is WebExceptionStatus.ConnectFailure or WebExceptionStatus.ConnectionClosed
            or WebExceptionStatus.ReceiveFailure or WebExceptionStatus.SendFailure or WebExceptionStatus.Timeout
            or WebExceptionStatus.KeepAliveFailure or WebExceptionStatus.PipelineFailure or WebExceptionStatus.NameResolutionFailure
            or WebExceptionStatus.UnknownError,
        _ => base.IsTransient(exception),
    };

    // 4xx replies are the protocol's "try again later"; 5xx (550 no such file, 530 not logged in) are final.
    private static bool IsTransient(FtpStatusCode code) => (int)code is >= 400 and < 500;

    private static bool InstallCallback()
    {
        var previous = ServicePointManager.ServerCertificateValidationCallback;
        ServicePointManager.ServerCertificateValidationCallback = (sender, certificate, chain, errors) =>
            Current.Value is { } drop
                ? drop.Accepts(certificate, errors)
                : previous?.Invoke(sender, certificate, chain, errors) ?? errors == SslPolicyErrors.None;
        return true;
    }

    private bool Accepts(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        if (string.IsNullOrEmpty(Options.CertificateThumbprint))
        {
            return errors == SslPolicyErrors.None;
        }

        var thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        return string.Equals(thumbprint, TransferOptions.NormalizeThumbprint(Options.CertificateThumbprint), StringComparison.Ordinal);
    }

    private sealed class FtpSession(FtpFileDrop drop) : IFileDropSession
    {
        private TransferOptions Options => drop.Options;

        public async IAsyncEnumerable<RemoteFileEntry> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // NLST then SIZE and MDTM per name: LIST's format is server-specific and its times are minute-precise at best.
            var names = new List<string>();
            using (var response = await SendAsync(folder, WebRequestMethods.Ftp.ListDirectory, trailingSlash: true, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                using var reader = new StreamReader(response.GetResponseStream(), Encoding.UTF8);
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    var name = line.TrimEnd('\r');
                    name = name[(name.LastIndexOf('/') + 1)..];
                    if (name.Length > 0 && name is not "." and not "..")
                    {
                        names.Add(name);
                    }
                }
            }

            foreach (var name in names)
            {
                if (RemoteName.Problem(name) is not null)
                {
                    // Not addressable safely; the caller counts and reports it.
                    yield return new RemoteFileEntry(name, null, null);
                    continue;
                }

                var path = RemoteName.Combine(folder, name);
                var size = await SizeAsync(path, cancellationToken).ConfigureAwait(false);
                if (size is null)
                {
                    // SIZE fails on folders.
                    continue;
                }

                using var stamp = await SendAsync(path, WebRequestMethods.Ftp.GetDateTimestamp, cancellationToken: cancellationToken).ConfigureAwait(false);
                yield return new RemoteFileEntry(name, size, ToUtc(stamp.LastModified));
            }
        }

        public async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) =>
            await SizeAsync(path, cancellationToken).ConfigureAwait(false) is not null;

        public async Task<long?> DownloadAsync(string path, Stream destination, CancellationToken cancellationToken)
        {
            var size = await SizeAsync(path, cancellationToken).ConfigureAwait(false)
                ?? throw new FileDropException($"download: no such file '{path}' on the drop");
            using var response = await SendAsync(path, WebRequestMethods.Ftp.DownloadFile, cancellationToken: cancellationToken).ConfigureAwait(false);
            var stream = response.GetResponseStream();
            await using (stream.ConfigureAwait(false))
            {
                await stream.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            }

            return size;
        }

        public async Task<long?> UploadAsync(Stream source, string path, CancellationToken cancellationToken)
        {
            Current.Value = drop;
            var request = Create(path, WebRequestMethods.Ftp.UploadFile, trailingSlash: false);
            using (cancellationToken.Register(request.Abort))
            {
                Stream target;
                try
                {
                    target = await request.GetRequestStreamAsync().ConfigureAwait(false);
                }
                catch (Exception exception) when (IsTlsFailure(exception))
                {
                    throw TlsRefused(exception);
                }

                await using (target.ConfigureAwait(false))
                {
                    await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                }

                using var response = (FtpWebResponse)await request.GetResponseAsync().ConfigureAwait(false);
            }

            return await SizeAsync(path, cancellationToken).ConfigureAwait(false);
        }

        public async Task RenameAsync(string from, string to, CancellationToken cancellationToken)
        {
            // FtpWebRequest sends RNTO relative to the source's folder unless the new name is absolute.
            var fromFolder = from.Contains('/', StringComparison.Ordinal) ? from[..from.LastIndexOf('/')] : string.Empty;
            string renameTo;
            if (to.StartsWith('/'))
            {
                renameTo = to;
            }
            else if (fromFolder.Length == 0)
            {
                renameTo = to;
            }
            else if (to.StartsWith(fromFolder + "/", StringComparison.Ordinal))
            {
                renameTo = to[(fromFolder.Length + 1)..];
            }
            else
            {
                throw new FileDropException($"rename: '{to}' is neither below '{fromFolder}' nor absolute");
            }

            using var response = await SendAsync(from, WebRequestMethods.Ftp.Rename, configure: r => r.RenameTo = renameTo, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        public async Task EnsureFolderAsync(string folder, CancellationToken cancellationToken)
        {
            var path = folder.StartsWith('/') ? "/" : string.Empty;
            foreach (var segment in folder.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                path = path.Length == 0 || path == "/" ? path + segment : path + "/" + segment;
                try
                {
                    using var response = await SendAsync(path, WebRequestMethods.Ftp.MakeDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (WebException exception) when (exception.Response is FtpWebResponse { StatusCode: FtpStatusCode.ActionNotTakenFileUnavailable })
                {
                    // 550: it exists already (or cannot be made, which the rename into it then reports).
                }
            }
        }

        public async Task DeleteTemporaryAsync(string path, CancellationToken cancellationToken)
        {
            using var response = await SendAsync(path, WebRequestMethods.Ftp.DeleteFile, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static DateTimeOffset? ToUtc(DateTime stamp) => stamp == default ? null : stamp.Kind switch
        {
            DateTimeKind.Local => new DateTimeOffset(stamp.ToUniversalTime(), TimeSpan.Zero),
            _ => new DateTimeOffset(DateTime.SpecifyKind(stamp, DateTimeKind.Utc)),
        };

        private async Task<long?> SizeAsync(string path, CancellationToken cancellationToken)
        {
            try
            {
                using var response = await SendAsync(path, WebRequestMethods.Ftp.GetFileSize, cancellationToken: cancellationToken).ConfigureAwait(false);
                return response.ContentLength;
            }
            catch (WebException exception) when (exception.Response is FtpWebResponse { StatusCode: FtpStatusCode.ActionNotTakenFileUnavailable })
            {
                return null;
            }
        }

        private async Task<FtpWebResponse> SendAsync(string path, string method, bool trailingSlash = false, Action<FtpWebRequest>? configure = null, CancellationToken cancellationToken = default)
        {
            Current.Value = drop;
            var request = Create(path, method, trailingSlash);
            configure?.Invoke(request);
            using (cancellationToken.Register(request.Abort))
            {
                try
                {
                    return (FtpWebResponse)await request.GetResponseAsync().ConfigureAwait(false);
                }
                catch (WebException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
                catch (Exception exception) when (IsTlsFailure(exception))
                {
                    throw TlsRefused(exception);
                }
            }
        }

        private static bool IsTlsFailure(Exception exception) =>
            exception is AuthenticationException
            || exception.InnerException is AuthenticationException
            || exception is WebException { Status: WebExceptionStatus.TrustFailure or WebExceptionStatus.SecureChannelFailure };

        private FileDropException TlsRefused(Exception exception) => new(
            string.IsNullOrEmpty(Options.CertificateThumbprint)
                ? $"FTPS server {Options.Host}:{Options.EffectivePort}: its certificate is not trusted by the system store for that host name; pin it with Transfer:CertificateThumbprint or fix the certificate"
                : $"FTPS server {Options.Host}:{Options.EffectivePort}: its certificate is not the pinned Transfer:CertificateThumbprint (or the TLS handshake failed); refusing to connect",
            exception);

        private FtpWebRequest Create(string path, string method, bool trailingSlash)
        {
            var request = (FtpWebRequest)WebRequest.Create(Address(path, trailingSlash));
            request.Method = method;
            request.Credentials = new NetworkCredential(Options.User, Options.Password);
            request.EnableSsl = Options.Protocol == TransferProtocol.Ftps;
            request.UsePassive = true;
            request.UseBinary = true;

            // A fresh control connection per request: no pooled connection outlives a drop or leaks between flows.
            request.KeepAlive = false;
            request.Timeout = (int)Options.Timeout.TotalMilliseconds;
            request.ReadWriteTimeout = (int)Options.Timeout.TotalMilliseconds;
            return request;
        }

        private Uri Address(string path, bool trailingSlash)
        {
            var builder = new StringBuilder("ftp://").Append(Options.Host).Append(':').Append(Options.EffectivePort).Append('/');
            if (path.StartsWith('/'))
            {
                // %2F: an absolute path; without it FtpWebRequest resolves from the login folder.
                builder.Append("%2F");
            }

            builder.AppendJoin('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
            if (trailingSlash && path.Trim('/').Length > 0)
            {
                builder.Append('/');
            }

            return new Uri(builder.ToString());
        }
    }
}
