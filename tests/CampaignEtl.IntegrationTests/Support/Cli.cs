using System.Diagnostics;

namespace CampaignEtl.IntegrationTests.Support;

/// <summary>Runs the real program (the host project's build output beside the tests) as a separate process.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static async Task<Result> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CampaignEtl.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A configuration file layered over the built-in appsettings.json, with the data folder in the workspace.</summary>
    public static string WriteConfig(string folder, string json)
    {
        var path = Path.Combine(folder, "test.appsettings.json");
        File.WriteAllText(path, json.Replace("%DATA%", folder.Replace("\\", "\\\\", StringComparison.Ordinal), StringComparison.Ordinal));
        return path;
    }

    public const string DataOnly = """{ "Data": { "Folder": "%DATA%" } }""";
}
