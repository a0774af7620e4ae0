using CampaignEtl.Cli;
using CampaignEtl.Composition;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>Builds and starts the host for one verb, turning configuration errors into exit code 2 with every error listed.</summary>
internal static class VerbHost
{
    public static async Task<int> RunAsync(
        string? configFile,
        bool validateEverythingOnStart,
        Func<IServiceProvider, CancellationToken, Task<int>> body,
        CancellationToken cancellationToken,
        Action<HostApplicationBuilder>? configure = null)
    {
        IHost host;
        try
        {
            var builder = HostFactory.CreateBuilder(configFile, validateEverythingOnStart);
            configure?.Invoke(builder);
            host = builder.Build();
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException)
        {
            return ConfigurationError([ex.Message]);
        }

        using (host)
        {
            var shape = host.Services.GetRequiredService<ConfigurationShapeProblems>();
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (OptionsValidationException ex)
            {
                return ConfigurationError(shape.With(ex.Failures));
            }
            catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
            {
                return ConfigurationError(shape.With(ex.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)));
            }
            catch (InvalidOperationException ex)
            {
                // The binder's own refusal, for a shape the check above does not know.
                return ConfigurationError(shape.With([UnknownKeys(ex)]));
            }

            if (shape.Problems.Count > 0)
            {
                await host.StopAsync(CancellationToken.None);
                return ConfigurationError(shape.Problems);
            }

            // SIGTERM and Ctrl+C reach the host's lifetime; the verb stops through the same token.
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            try
            {
                return await body(host.Services, stopping.Token);
            }
            catch (OptionsValidationException ex)
            {
                return ConfigurationError(ex.Failures);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
    }

    private static string UnknownKeys(InvalidOperationException ex)
    {
        var message = (ex.InnerException ?? ex).Message;
        var match = System.Text.RegularExpressions.Regex.Match(message, @"instance of [\w.]+\.(?<type>\w+)Options: (?<keys>.+)$");
        return match.Success
            ? $"unknown configuration key(s) {match.Groups["keys"].Value} in a {match.Groups["type"].Value} section: check the spelling against schemas/appsettings.schema.json"
            : message;
    }

    public static int ConfigurationError(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        Console.Error.WriteLine($"error: the configuration has {list.Count} problem(s):");
        foreach (var problem in list)
        {
            Console.Error.WriteLine("  " + problem);
        }

        return ExitCodes.Usage;
    }
}
