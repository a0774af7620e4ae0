using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Transfer;

public enum TransferProtocol
{
    /// <summary>A folder on this machine (the sandbox's drop, tests).</summary>
    Local,

    /// <summary>SFTP over SSH (SSH.NET), the platform's own file exchange.</summary>
    Sftp,

    /// <summary>Plain FTP, passive mode. Credentials travel in clear text: loopback or a trusted network only.</summary>
    Ftp,

    /// <summary>FTP with explicit TLS (AUTH TLS), passive mode, control and data channels encrypted.</summary>
    Ftps,
}

/// <summary>The <c>Transfer</c> section: where the file drop is and how to reach it.</summary>
public sealed partial class TransferOptions
{
    public const string Section = "Transfer";

    public TransferProtocol Protocol { get; set; } = TransferProtocol.Local;

    /// <summary>The drop folder on this machine (Local only).</summary>
    public string LocalFolder { get; set; } = string.Empty;

    public string Host { get; set; } = string.Empty;

    /// <summary>Null: the protocol's default (22 for SFTP, 21 for FTP and FTPS).</summary>
    public int? Port { get; set; }

    public string User { get; set; } = string.Empty;

    /// <summary>Secret: never logged, never in <see cref="ToString"/> or exception messages.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>SFTP: a private key file (OpenSSH or PEM format); used instead of the password when set.</summary>
    public string PrivateKeyPath { get; set; } = string.Empty;

    /// <summary>Secret: the private key's passphrase, if it has one.</summary>
    public string PrivateKeyPassphrase { get; set; } = string.Empty;

    /// <summary>SFTP: the server's host key as OpenSSH prints it (<c>ssh-keygen -lf key.pub</c>): <c>SHA256:</c> and 43 base64 characters.</summary>
    public string HostKeyFingerprint { get; set; } = string.Empty;

    /// <summary>SFTP: refuse a host key other than <see cref="HostKeyFingerprint"/>. Default true; false accepts any key with a warning.</summary>
    public bool PinHostKey { get; set; } = true;

    /// <summary>
    /// FTPS: the server certificate's SHA-256 thumbprint (hex, colons allowed). Set: only that certificate is accepted
    /// (self-signed is fine). Empty: the certificate must be valid for <see cref="Host"/> in the system trust store.
    /// </summary>
    public string CertificateThumbprint { get; set; } = string.Empty;

    /// <summary>Folder on the drop, '/'-separated; empty is the login folder.</summary>
    public string RemoteFolder { get; set; } = string.Empty;

    /// <summary>Where processed files are moved, relative to <see cref="RemoteFolder"/> (or absolute with a leading '/'). Default <c>processed</c>.</summary>
    public string ProcessedFolder { get; set; } = "processed";

    /// <summary>Connect timeout and the longest silence within one operation. Default 1 minute.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(1);

    public TransferRetryOptions Retry { get; set; } = new();

    /// <summary>The port to dial: <see cref="Port"/> or the protocol's default.</summary>
    public int EffectivePort => Port ?? (Protocol == TransferProtocol.Sftp ? 22 : 21);

    // Password, passphrase and key path's contents stay out on purpose.
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Protocol={Protocol}, Host={Host}, Port={EffectivePort}, User={User}, Password={(Password.Length > 0 ? "(secret)" : "(none)")}, PrivateKeyPath={PrivateKeyPath}, PrivateKeyPassphrase={(PrivateKeyPassphrase.Length > 0 ? "(secret)" : "(none)")}, HostKeyFingerprint={HostKeyFingerprint}, PinHostKey={PinHostKey}, CertificateThumbprint={CertificateThumbprint}, LocalFolder={LocalFolder}, RemoteFolder={RemoteFolder}, ProcessedFolder={ProcessedFolder}, Timeout={Timeout}, Retry={Retry.Attempts}x{Retry.BaseDelay}");

    /// <summary>The processed folder as a path from the login folder (or absolute).</summary>
    internal string ProcessedPath =>
        ProcessedFolder.StartsWith('/') ? ProcessedFolder : RemoteName.Combine(RemoteFolder, ProcessedFolder.TrimEnd('/'));

    /// <summary>OpenSSH's form, without base64 padding (which <c>ssh-keygen</c> leaves out).</summary>
    internal static string NormalizeFingerprint(string fingerprint) => fingerprint.Trim().TrimEnd('=');

    /// <summary>Upper-case hex without separators.</summary>
    internal static string NormalizeThumbprint(string thumbprint) =>
        thumbprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}=?$")]
    internal static partial Regex FingerprintPattern();

    [GeneratedRegex("^[0-9A-F]{64}$")]
    internal static partial Regex ThumbprintPattern();
}

/// <summary>Retries of an operation whose connection dropped or whose transfer came up short.</summary>
public sealed class TransferRetryOptions
{
    /// <summary>Tries per operation including the first, 1 to 10. Default 3.</summary>
    public int Attempts { get; set; } = 3;

    /// <summary>Delay before the first retry, doubled for each further one (capped at 5 minutes). Default 5 seconds.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    internal TimeSpan DelayBefore(int retry)
    {
        var ticks = BaseDelay.Ticks * Math.Pow(2, Math.Max(0, retry - 1));
        return TimeSpan.FromTicks((long)Math.Min(ticks, TimeSpan.FromMinutes(5).Ticks));
    }
}

/// <summary>Reports every problem of the Transfer section at once, naming the key and the bad value (never a secret).</summary>
public sealed class TransferOptionsValidator : IValidateOptions<TransferOptions>
{
    public ValidateOptionsResult Validate(string? name, TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        if (!Enum.IsDefined(options.Protocol))
        {
            builder.AddError($"Transfer:Protocol = '{options.Protocol}': must be Local, Sftp, Ftp or Ftps");
        }

        if (options.Protocol == TransferProtocol.Local)
        {
            if (string.IsNullOrWhiteSpace(options.LocalFolder))
            {
                builder.AddError("Transfer:LocalFolder is required when Transfer:Protocol is Local");
            }
        }
        else
        {
            ValidateRemote(options, builder);
        }

        if (RemoteName.FolderProblem(options.RemoteFolder) is { } remoteProblem)
        {
            builder.AddError($"Transfer:RemoteFolder = '{RemoteName.Escape(options.RemoteFolder)}': {remoteProblem}");
        }

        if (string.IsNullOrEmpty(options.ProcessedFolder) || options.ProcessedFolder == "/")
        {
            builder.AddError("Transfer:ProcessedFolder is required (a folder name, relative to Transfer:RemoteFolder)");
        }
        else if (RemoteName.FolderProblem(options.ProcessedFolder) is { } processedProblem)
        {
            builder.AddError($"Transfer:ProcessedFolder = '{RemoteName.Escape(options.ProcessedFolder)}': {processedProblem}");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromHours(1))
        {
            builder.AddError(Invariant($"Transfer:Timeout = {options.Timeout}: must be above 00:00:00 and at most 01:00:00"));
        }

        if (options.Retry is null)
        {
            builder.AddError("Transfer:Retry is required");
        }
        else
        {
            if (options.Retry.Attempts is < 1 or > 10)
            {
                builder.AddError(Invariant($"Transfer:Retry:Attempts = {options.Retry.Attempts}: must be between 1 (no retry) and 10"));
            }

            if (options.Retry.BaseDelay < TimeSpan.Zero || options.Retry.BaseDelay > TimeSpan.FromMinutes(5))
            {
                builder.AddError(Invariant($"Transfer:Retry:BaseDelay = {options.Retry.BaseDelay}: must be between 00:00:00 and 00:05:00"));
            }
        }

        return builder.Build();
    }

    private static void ValidateRemote(TransferOptions options, ValidateOptionsResultBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            builder.AddError($"Transfer:Host is required when Transfer:Protocol is {options.Protocol}");
        }

        if (options.Port is < 1 or > 65535)
        {
            builder.AddError(Invariant($"Transfer:Port = {options.Port}: must be between 1 and 65535, or absent for the protocol's default"));
        }

        if (string.IsNullOrWhiteSpace(options.User))
        {
            builder.AddError($"Transfer:User is required when Transfer:Protocol is {options.Protocol}");
        }

        if (options.Protocol == TransferProtocol.Sftp)
        {
            if (string.IsNullOrEmpty(options.Password) && string.IsNullOrEmpty(options.PrivateKeyPath))
            {
                builder.AddError("Transfer:PrivateKeyPath or Transfer:Password is required for Sftp");
            }

            if (!string.IsNullOrEmpty(options.PrivateKeyPath) && !File.Exists(options.PrivateKeyPath))
            {
                builder.AddError($"Transfer:PrivateKeyPath = '{options.PrivateKeyPath}': no such file");
            }

            if (options.PinHostKey && !TransferOptions.FingerprintPattern().IsMatch(options.HostKeyFingerprint.Trim()))
            {
                builder.AddError($"Transfer:HostKeyFingerprint = '{options.HostKeyFingerprint}': must be the server's key as 'SHA256:' and 43 base64 characters (ssh-keygen -lf <host key>.pub), or set Transfer:PinHostKey to false to accept any key");
            }
        }
        else
        {
            if (!string.IsNullOrEmpty(options.PrivateKeyPath))
            {
                builder.AddError($"Transfer:PrivateKeyPath is for Sftp only, not {options.Protocol}");
            }

            if (!string.IsNullOrEmpty(options.CertificateThumbprint)
                && (options.Protocol != TransferProtocol.Ftps || !TransferOptions.ThumbprintPattern().IsMatch(TransferOptions.NormalizeThumbprint(options.CertificateThumbprint))))
            {
                builder.AddError($"Transfer:CertificateThumbprint = '{options.CertificateThumbprint}': must be a SHA-256 thumbprint (64 hex digits, colons allowed), and is for Ftps only");
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
