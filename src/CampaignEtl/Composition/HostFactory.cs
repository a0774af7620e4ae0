using CampaignEtl.Pipeline.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

namespace CampaignEtl.Composition;

/// <summary>
/// Builds the Generic Host for a verb. Configuration, lowest to highest precedence: the
/// appsettings.json beside the program, the file given with --config, environment variables
/// prefixed CAMPAIGNETL_ (e.g. CAMPAIGNETL_Data__Folder).
/// </summary>
public static class HostFactory
{
    public const string EnvironmentPrefix = "CAMPAIGNETL_";

    public static HostApplicationBuilder CreateBuilder(string? configFile, bool validateEverythingOnStart)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.Sources.Clear();
        var defaults = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (configFile is null)
        {
            builder.Configuration.AddJsonFile(defaults, optional: false, reloadOnChange: false);
        }
        else
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"--config {configFile}: file not found", full);
            }

            var replaced = ArrayReplacingJson.ArrayPaths(full);
            builder.Configuration.AddInMemoryCollection(ArrayReplacingJson.Without(
                new ConfigurationBuilder().AddJsonFile(defaults, optional: false, reloadOnChange: false).Build(), replaced));
            builder.Configuration.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        var (problems, badKeys, scalarLists) = ConfigurationShape.Check(builder.Configuration, validateEverythingOnStart);
        if (badKeys.Count > 0 || scalarLists.Count > 0)
        {
            // Bind and validate what is left, so the validators' findings join the shape problems.
            var kept = ConfigurationShape.Without(builder.Configuration, badKeys).Where(pair => pair.Value is not null)
                .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);
            foreach (var path in scalarLists)
            {
                kept[path] = string.Empty;
            }

            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(kept);
        }

        builder.Services.AddSingleton(new ConfigurationShapeProblems(problems, badKeys));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        builder.Services.AddSerilog((services, logger) =>
        {
            var logFolder = builder.Configuration[$"{DataOptions.Section}:Folder"] ?? "var";
            logger.ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext()
                .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
                .WriteTo.File(Path.Combine(Path.GetFullPath(logFolder), "logs", "campaignetl-.log"), rollingInterval: RollingInterval.Day, retainedFileCountLimit: 60);
        });
        builder.Services.AddCampaignEtl(builder.Configuration, validateEverythingOnStart);
        return builder;
    }
}
