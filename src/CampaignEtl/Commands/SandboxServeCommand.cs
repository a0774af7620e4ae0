using CampaignEtl.Cli;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>sandbox serve</c>: the sandbox platform on its own, on 127.0.0.1, until Ctrl+C or SIGTERM, for
/// trying a client or the CLI by hand. Its state and drop folder live under the data folder
/// (<c>sandbox/</c>) unless the <c>Sandbox</c> section says otherwise, so they survive a restart.
/// </summary>
internal static class SandboxServeCommand
{
    public static async Task<int> ExecuteAsync(IServiceProvider services, int port, CancellationToken cancellationToken)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        SandboxOptions options;
        try
        {
            options = configuration.GetSection(SandboxOptions.Section).Get<SandboxOptions>(o => o.ErrorOnUnknownConfiguration = true) ?? new SandboxOptions();
        }
        catch (InvalidOperationException ex)
        {
            return VerbHost.ConfigurationError([(ex.InnerException ?? ex).Message]);
        }

        var data = services.GetRequiredService<IOptions<DataOptions>>().Value;
        var root = Path.Combine(Path.GetFullPath(data.Folder), "sandbox");
        options.DatabasePath ??= Path.Combine(root, "sandbox.db");
        options.DropFolder ??= Path.Combine(root, "drop");
        var problems = SandboxOptionsValidator.Validate(options);
        if (port is < 0 or > 65535)
        {
            problems = [.. problems, $"--port = {port}: must be between 0 and 65535"];
        }

        if (problems.Count > 0)
        {
            return VerbHost.ConfigurationError(problems);
        }

        Directory.CreateDirectory(root);
        await using var platform = await SandboxPlatform.StartAsync(
            options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>(), port, cancellationToken);
        // The endpoint on standard output, alone on its line, so scripts can read it.
        Console.Out.WriteLine(platform.Endpoint);
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: the normal end of a foreground server.
        }

        return ExitCodes.Success;
    }
}
