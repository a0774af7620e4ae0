using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace CampaignEtl.Crm.PostgreSql;

/// <summary>
/// A throwaway PostgreSQL server for tests and <c>bench postgres</c>: <c>initdb</c> into a folder (trust
/// authentication, UTF8, C.UTF-8), then <c>pg_ctl start</c> on 127.0.0.1 with a free port and its socket
/// in that folder; stopped and deleted on dispose. PostgreSQL refuses to run as root, so as root the
/// server runs as the <c>postgres</c> user (runuser) and the folder is handed to it. Durability is off
/// (fsync, full-page writes): the data is thrown away and loads should not wait for the disk.
/// </summary>
public sealed class LocalPostgresServer : IAsyncDisposable
{
    public const string NotInstalled = "PostgreSQL is not installed (apt-get install -y postgresql)";

    private const string ServiceUser = "postgres";

    private LocalPostgresServer(string binFolder, string folder, int port)
    {
        BinFolder = binFolder;
        Folder = folder;
        Port = port;
    }

    public string BinFolder { get; }

    public string Folder { get; }

    public int Port { get; }

    public string DataFolder => Path.Combine(Folder, "data");

    public string SocketFolder => Path.Combine(Folder, "socket");

    public string PsqlPath => Path.Combine(BinFolder, "psql");

    private static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Names the folder of initdb, pg_ctl and psql where it is not Debian's /usr/lib/postgresql/N/bin.</summary>
    public const string BinFolderVariable = "CAMPAIGNETL_POSTGRES_BIN";

    /// <summary>
    /// The folder of initdb, pg_ctl and psql: <see cref="BinFolderVariable"/> when set, else the newest
    /// /usr/lib/postgresql/N/bin (Debian's layout); null when PostgreSQL is missing.
    /// </summary>
    public static string? FindBinFolder()
    {
        if (Environment.GetEnvironmentVariable(BinFolderVariable) is { Length: > 0 } configured)
        {
            return HasTools(configured) ? configured : null;
        }

        if (!OperatingSystem.IsLinux() || !Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }

        return Directory.EnumerateDirectories("/usr/lib/postgresql")
            .Select(version => (Version: int.TryParse(Path.GetFileName(version), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1,
                Bin: Path.Combine(version, "bin")))
            .Where(c => c.Version >= 0 && HasTools(c.Bin))
            .OrderByDescending(c => c.Version)
            .Select(c => c.Bin)
            .FirstOrDefault();
    }

    private static bool HasTools(string bin) =>
        File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")) && File.Exists(Path.Combine(bin, "psql"));

    /// <summary>Creates and starts a server in a new folder under <paramref name="parent"/> (default: the temp folder).</summary>
    public static async Task<LocalPostgresServer> StartAsync(string? parent, CancellationToken cancellationToken)
    {
        var bin = FindBinFolder() ?? throw new InvalidOperationException(NotInstalled);
        var folder = Path.Combine(parent ?? Path.Combine(Path.GetTempPath(), "campaignetl-postgres"), "pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(folder, "socket"));
        try
        {
            if (IsRoot)
            {
                await RunAsync("chown", ["-R", ServiceUser + ":", folder], asServiceUser: false, cancellationToken);
            }

            await RunAsync(Path.Combine(bin, "initdb"),
                ["-D", Path.Combine(folder, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
                asServiceUser: true, cancellationToken);

            // A free port can be taken between the probe and the start: try a few.
            for (var attempt = 1; ; attempt++)
            {
                var server = new LocalPostgresServer(bin, folder, FreePort());
                try
                {
                    await server.PgCtlAsync(cancellationToken, "start", "-w", "-t", "60", "-l", Path.Combine(folder, "server.log"), "-o", string.Create(CultureInfo.InvariantCulture,
                        $"-c listen_addresses=127.0.0.1 -p {server.Port} -k {server.SocketFolder} -c fsync=off -c full_page_writes=off -c synchronous_commit=off"));
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    // Try another port.
                }
            }
        }
        catch
        {
            TryDelete(folder);
            throw;
        }
    }

    /// <summary>A connection string to <paramref name="database"/> on this server, as the superuser (trust: no password).</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
    }.ConnectionString;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>The arguments that run psql against <paramref name="database"/> on this server (file and arguments).</summary>
    public ProcessStartInfo Psql(string database, params string[] arguments)
    {
        var start = new ProcessStartInfo(PsqlPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Stops the server now (a fast shutdown) and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgCtlAsync(CancellationToken.None, "stop", "-m", "fast", "-w", "-t", "30");
        }
        catch (InvalidOperationException)
        {
            // Already stopped (or never fully started): the folder goes anyway.
        }

        TryDelete(Folder);
    }

    private Task<string> PgCtlAsync(CancellationToken cancellationToken, params string[] arguments) =>
        RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["-D", DataFolder, .. arguments], asServiceUser: true, cancellationToken);

    private static async Task<string> RunAsync(string file, string[] arguments, bool asServiceUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(asServiceUser && IsRoot ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asServiceUser && IsRoot)
        {
            foreach (var argument in new[] { "-u", ServiceUser, "--", file })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Path.GetFileName(file)} could not be started");

        // pg_ctl start leaves the server holding inherited pipes open: read to the end only once the command exited.
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            string text;
            lock (output)
            {
                text = output.ToString().Trim();
            }

            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(file)} exited with {process.ExitCode}: {text.ReplaceLineEndings(" | ")}"));
        }

        lock (output)
        {
            return output.ToString();
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is not worth failing a test or a benchmark for.
        }
    }
}
