using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CampaignEtl.Transfer;

namespace CampaignEtl.IntegrationTests.Transfer;

/// <summary>
/// A real vsftpd on 127.0.0.1 with a random control port and passive range, a throwaway local user and a
/// self-signed certificate made with openssl: plain FTP and FTPS (explicit TLS) on the same port.
/// Tests call <see cref="SkipIfUnavailable"/>: without vsftpd (or without root for the throwaway user) they are skipped with the reason.
/// </summary>
public sealed class VsftpdFixture : IAsyncLifetime
{
    private const string Vsftpd = "/usr/sbin/vsftpd";
    private const string OpenSsl = "/usr/bin/openssl";
    private readonly StringBuilder log = new();
    private Process? server;
    private ThrowawayUser? user;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "campaignetl-tests", "vsftpd-" + Guid.NewGuid().ToString("N"));

    public string? SkipReason { get; private set; }

    public int Port { get; private set; }

    /// <summary>SHA-256 of the server certificate, as Transfer:CertificateThumbprint takes it.</summary>
    public string CertificateThumbprint { get; private set; } = string.Empty;

    public string Home => Path.Combine(Folder, "home");

    public async ValueTask InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || ServerProcess.MissingTool(Vsftpd, OpenSsl) is not null)
        {
            SkipReason = $"vsftpd is not installed ({Vsftpd} / {OpenSsl} missing): apt-get install -y vsftpd (.ci/run does)";
            return;
        }

        if (!ServerProcess.IsRoot)
        {
            SkipReason = "vsftpd needs a local user with a password; the fixture creates a throwaway one, which needs root (CI runs as root)";
            return;
        }

        Directory.CreateDirectory(Folder);
        var emptyFolder = Path.Combine(Folder, "empty");
        Directory.CreateDirectory(emptyFolder);
        var certificate = Path.Combine(Folder, "cert.pem");
        var key = Path.Combine(Folder, "key.pem");
        await ServerProcess.RunAsync(OpenSsl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1");
        using (var loaded = X509CertificateLoader.LoadCertificateFromFile(certificate))
        {
            CertificateThumbprint = loaded.GetCertHashString(HashAlgorithmName.SHA256);
        }

        user = await ThrowawayUser.CreateAsync(Home);
        Port = ServerProcess.FreePort();
        var passive = ServerProcess.FreePortRange(20);
        var config = Path.Combine(Folder, "vsftpd.conf");

        // FtpWebRequest neither resumes the control channel's TLS session on data connections (require_ssl_reuse=NO) nor
        // closes an upload's data channel with a TLS shutdown (strict_ssl_read_eof=NO; the size check after upload guards it).
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            listen=YES
            listen_ipv6=NO
            listen_address=127.0.0.1
            listen_port={Port}
            background=NO
            anonymous_enable=NO
            local_enable=YES
            write_enable=YES
            local_umask=022
            pasv_enable=YES
            pasv_min_port={passive}
            pasv_max_port={passive + 19}
            pasv_address=127.0.0.1
            secure_chroot_dir={emptyFolder}
            seccomp_sandbox=NO
            check_shell=NO
            userlist_enable=NO
            max_per_ip=0
            xferlog_enable=NO
            ssl_enable=YES
            allow_anon_ssl=NO
            force_local_data_ssl=NO
            force_local_logins_ssl=NO
            require_ssl_reuse=NO
            strict_ssl_read_eof=NO
            rsa_cert_file={certificate}
            rsa_private_key_file={key}

            """));
        try
        {
            server = await ServerProcess.StartAsync(Vsftpd, Port, log, config);
        }
        catch (InvalidOperationException exception)
        {
            SkipReason = $"vsftpd is installed but could not be started here: {exception.Message}";
        }
    }

    public void SkipIfUnavailable()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    /// <summary>A fresh drop folder below the user's home for one test; its name is the remote folder.</summary>
    public async Task<(string Local, string Remote)> NewDropAsync()
    {
        var name = "drop-" + Guid.NewGuid().ToString("N");
        var local = Path.Combine(Home, name);
        Directory.CreateDirectory(local);
        await user!.ChownAsync(local);
        return (local, name);
    }

    public TransferOptions Options(TransferProtocol protocol, string remoteFolder) => new()
    {
        Protocol = protocol,
        Host = "127.0.0.1",
        Port = Port,
        User = user!.Name,
        Password = user.Password,
        CertificateThumbprint = protocol == TransferProtocol.Ftps ? CertificateThumbprint : string.Empty,
        RemoteFolder = remoteFolder,
        Timeout = TimeSpan.FromSeconds(15),
        Retry = new TransferRetryOptions { Attempts = 2, BaseDelay = TimeSpan.FromMilliseconds(100) },
    };

    /// <summary>Files the test puts on the drop belong to the FTP user, as the platform's would.</summary>
    public Task ChownAsync(string path) => user!.ChownAsync(path);

    public async ValueTask DisposeAsync()
    {
        ServerProcess.Stop(server);
        if (user is not null)
        {
            await user.DisposeAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
