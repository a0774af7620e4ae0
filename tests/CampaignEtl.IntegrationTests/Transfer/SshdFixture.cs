using System.Diagnostics;
using System.Globalization;
using System.Text;
using CampaignEtl.Transfer;

namespace CampaignEtl.IntegrationTests.Transfer;

/// <summary>
/// A real OpenSSH sshd on 127.0.0.1 with a random port, a throwaway host key, user key and config, serving SFTP
/// (internal-sftp) to the current user by key, and to a throwaway user by password when running as root.
/// Tests call <see cref="SkipIfUnavailable"/>: without sshd they are skipped with the reason, never passed.
/// </summary>
public sealed class SshdFixture : IAsyncLifetime
{
    private const string Sshd = "/usr/sbin/sshd";
    private const string SshKeygen = "/usr/bin/ssh-keygen";
    private readonly StringBuilder log = new();
    private Process? server;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "campaignetl-tests", "sshd-" + Guid.NewGuid().ToString("N"));

    public string? SkipReason { get; private set; }

    public int Port { get; private set; }

    public string HostKeyFingerprint { get; private set; } = string.Empty;

    public string UserKeyPath => Path.Combine(Folder, "user_key");

    public ThrowawayUser? PasswordUser { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || ServerProcess.MissingTool(Sshd, SshKeygen) is { } missing)
        {
            SkipReason = $"OpenSSH sshd is not installed ({Sshd} / {SshKeygen} missing): apt-get install -y openssh-server (.ci/run does)";
            return;
        }

        Directory.CreateDirectory(Folder);
        var hostKey = Path.Combine(Folder, "host_key");
        await ServerProcess.RunAsync(SshKeygen, "-q", "-t", "ed25519", "-N", string.Empty, "-f", hostKey);
        await ServerProcess.RunAsync(SshKeygen, "-q", "-t", "rsa", "-b", "3072", "-N", string.Empty, "-f", UserKeyPath);
        var authorizedKeys = Path.Combine(Folder, "authorized_keys");
        File.Copy(UserKeyPath + ".pub", authorizedKeys);

        // "256 SHA256:xxxx comment (ED25519)": the form Transfer:HostKeyFingerprint takes.
        HostKeyFingerprint = (await ServerProcess.RunAsync(SshKeygen, "-l", "-E", "sha256", "-f", hostKey + ".pub")).Split(' ')[1];

        if (ServerProcess.IsRoot)
        {
            // sshd refuses to start without its privilege separation folder, which a package install creates only at boot.
            Directory.CreateDirectory("/run/sshd");
            PasswordUser = await ThrowawayUser.CreateAsync(Path.Combine(Folder, "password-home"));
        }

        Port = ServerProcess.FreePort();
        var config = Path.Combine(Folder, "sshd_config");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            PidFile none
            UsePAM no
            StrictModes no
            AuthorizedKeysFile {authorizedKeys}
            PubkeyAuthentication yes
            PasswordAuthentication yes
            KbdInteractiveAuthentication no
            PermitRootLogin yes
            Subsystem sftp internal-sftp
            MaxStartups 50
            LogLevel ERROR

            """));
        try
        {
            server = await ServerProcess.StartAsync(Sshd, Port, log, "-D", "-e", "-f", config);
        }
        catch (InvalidOperationException exception)
        {
            SkipReason = $"sshd is installed but could not be started here: {exception.Message}";
        }
    }

    public void SkipIfUnavailable()
    {
        if (SkipReason is not null)
        {
            Assert.Skip(SkipReason);
        }
    }

    /// <summary>A fresh drop folder (absolute) for one test.</summary>
    public string NewDrop()
    {
        var drop = Path.Combine(Folder, "drop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(drop);
        return drop;
    }

    public TransferOptions Options(string drop) => new()
    {
        Protocol = TransferProtocol.Sftp,
        Host = "127.0.0.1",
        Port = Port,
        User = Environment.UserName,
        PrivateKeyPath = UserKeyPath,
        HostKeyFingerprint = HostKeyFingerprint,
        RemoteFolder = drop,
        Timeout = TimeSpan.FromSeconds(15),
        Retry = new TransferRetryOptions { Attempts = 3, BaseDelay = TimeSpan.FromMilliseconds(100) },
    };

    /// <summary>Kills every per-connection sshd process: the client sees its connection drop mid-transfer; the listener stays.</summary>
    public int DropConnections()
    {
        var children = ServerProcess.Children(server!.Id);
        foreach (var child in children)
        {
            ServerProcess.Kill(child);
        }

        return children.Count;
    }

    public async ValueTask DisposeAsync()
    {
        ServerProcess.Stop(server);
        if (PasswordUser is not null)
        {
            await PasswordUser.DisposeAsync();
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
