using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CampaignEtl.IntegrationTests.Transfer;

/// <summary>Helpers for the real servers the transfer tests start: tools, free ports, child processes.</summary>
internal static class ServerProcess
{
    public static bool IsRoot => Environment.UserName == "root";

    public static string? MissingTool(params string[] paths) => paths.FirstOrDefault(path => !File.Exists(path));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A run of <paramref name="count"/> ports that are free right now, for vsftpd's passive range.</summary>
    public static int FreePortRange(int count)
    {
        for (var tries = 0; tries < 200; tries++)
        {
            var start = Random.Shared.Next(20000, 60000 - count);
            if (Enumerable.Range(start, count).All(IsFree))
            {
                return start;
            }
        }

        throw new InvalidOperationException("no free passive port range found");
    }

    /// <summary>Runs a tool to completion; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var errorText = await error;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {errorText}"));
        }

        return await output;
    }

    /// <summary>Starts a server in the foreground and waits until it accepts connections on <paramref name="port"/>.</summary>
    public static async Task<Process> StartAsync(string file, int port, StringBuilder log, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{file} exited with {process.ExitCode}: {Snapshot(log)}"));
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return process;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        Stop(process);
        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{file} did not listen on {port}: {Snapshot(log)}"));
    }

    public static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Gone already.
        }

        process.Dispose();
    }

    /// <summary>The direct children of <paramref name="parent"/> (the per-connection processes of a forking server).</summary>
    public static IReadOnlyList<int> Children(int parent)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // "pid (comm) state ppid ...": comm may hold spaces, so parse after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent)
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }

        return children;
    }

    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Exited already.
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}

/// <summary>A local account that exists only for one fixture (password logins need one); root only.</summary>
public sealed class ThrowawayUser : IAsyncDisposable
{
    private ThrowawayUser(string name, string password, string home)
    {
        Name = name;
        Password = password;
        Home = home;
    }

    public string Name { get; }

    public string Password { get; }

    public string Home { get; }

    public static async Task<ThrowawayUser> CreateAsync(string home)
    {
        var name = "cetl" + Guid.NewGuid().ToString("N")[..10];
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

        // A shell from /etc/shells: vsftpd's PAM stack (pam_shells) refuses others. No home is created; the fixture owns it.
        await ServerProcess.RunAsync("/usr/sbin/useradd", "-M", "-d", home, "-s", "/bin/sh", name);
        var chpasswd = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/sbin/chpasswd") { RedirectStandardInput = true, UseShellExecute = false })!;
        await chpasswd.StandardInput.WriteLineAsync($"{name}:{password}");
        chpasswd.StandardInput.Close();
        await chpasswd.WaitForExitAsync();
        var user = new ThrowawayUser(name, password, home);
        Directory.CreateDirectory(home);
        await ServerProcess.RunAsync("chown", "-R", name, home);
        return user;
    }

    public async Task ChownAsync(string path) => await ServerProcess.RunAsync("chown", "-R", Name, path);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ServerProcess.RunAsync("/usr/sbin/userdel", Name);
        }
        catch (InvalidOperationException)
        {
            // Left behind only if userdel fails; the name is random and the password unknown.
        }
    }
}
