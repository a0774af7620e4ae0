using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Ingest;
using CampaignEtl.Pipeline.Refill;
using CampaignEtl.Pipeline.Suppress;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Platform;
using CampaignEtl.Sandbox;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Composition;

public static class CampaignEtlServiceCollectionExtensions
{
    /// <summary>
    /// The one composition method: options (validated; with <paramref name="validateEverythingOnStart"/>
    /// all of them before anything runs), time, the CRM, the stages and the runner.
    /// </summary>
    public static IServiceCollection AddCampaignEtl(this IServiceCollection services, IConfiguration configuration, bool validateEverythingOnStart)
    {
        services.TryAddSingleton(TimeProvider.System);

        AddValidated<DataOptions, DataOptionsValidator>(services, DataOptions.Section, validateOnStart: true);
        AddValidated<RunOptions, RunOptionsValidator>(services, RunOptions.Section, validateEverythingOnStart);
        AddValidated<ScheduleOptions, ScheduleOptionsValidator>(services, ScheduleOptions.Section, validateEverythingOnStart);
        AddValidated<ArchiveOptions, ArchiveOptionsValidator>(services, ArchiveOptions.Section, validateEverythingOnStart);
        AddValidated<ExportOptions, ExportOptionsValidator>(services, ExportOptions.Section, validateEverythingOnStart);
        AddValidated<SuppressOptions, SuppressOptionsValidator>(services, SuppressOptions.Section, validateEverythingOnStart);
        AddValidated<RefillOptions, RefillOptionsValidator>(services, RefillOptions.Section, validateEverythingOnStart);
        AddValidated<IngestOptions, IngestOptionsValidator>(services, IngestOptions.Section, validateEverythingOnStart);
        AddPlatform(services, configuration, validateEverythingOnStart);
        AddFileDrop(services, configuration, validateEverythingOnStart);

        services.AddSingleton(sp =>
        {
            var data = sp.GetRequiredService<IOptions<DataOptions>>().Value;
            return new CrmDatabase(data.CrmDatabasePath, TimeSpan.FromSeconds(data.BusyTimeoutSeconds));
        });
        services.AddSingleton<CrmExportReader>();
        services.AddSingleton<ICrmExportSource>(sp => sp.GetRequiredService<CrmExportReader>());
        services.AddSingleton<DemoCrmSeeder>();
        services.AddSingleton<IStage, SuppressStage>();
        services.AddSingleton<IStage, ExportStage>();
        services.AddSingleton<IStage, RefillStage>();
        services.AddSingleton<IStage, IngestStage>();
        services.AddSingleton<PipelineRunner>();
        return services;
    }

    /// <summary>
    /// The platform client: the configured <c>Platform</c> endpoint, or with <c>Sandbox:Embedded</c> the
    /// in-process sandbox (the demo), whose credentials then stand in for the Platform section's. The
    /// sandbox starts only for the verbs that run stages (those that validate everything on start).
    /// </summary>
    private static void AddPlatform(IServiceCollection services, IConfiguration configuration, bool runsStages)
    {
        AddValidated<PlatformOptions, PlatformOptionsValidator>(services, PlatformOptions.Section, runsStages);
        services.AddSingleton<PlatformClientFactory>();
        var sandbox = SandboxSection(configuration);
        if (sandbox is not { Embedded: true })
        {
            services.AddSingleton<IPlatformClientFactory>(sp => sp.GetRequiredService<PlatformClientFactory>());
            return;
        }

        services.PostConfigure<PlatformOptions>(platform =>
        {
            platform.Endpoint = "http://127.0.0.1/";
            platform.MandatorId = sandbox.MandatorId;
            platform.User = sandbox.User;
            platform.Password = sandbox.Password;
        });
        AddValidated<SandboxOptions, SandboxOptionsValidator>(services, SandboxOptions.Section, runsStages);
        services.AddSingleton<EmbeddedSandbox>();
        services.AddSingleton<IPlatformClientFactory>(sp => sp.GetRequiredService<EmbeddedSandbox>());
        if (runsStages)
        {
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedSandbox>());
        }
    }

    /// <summary>
    /// The file drop (<c>Transfer</c>): SFTP, FTP/FTPS or a local folder. A local drop without
    /// <c>Transfer:LocalFolder</c> is the embedded sandbox's drop folder with <c>Sandbox:Embedded</c>, else
    /// <c>&lt;Data:Folder&gt;/drop</c>.
    /// </summary>
    private static void AddFileDrop(IServiceCollection services, IConfiguration configuration, bool runsStages)
    {
        AddValidated<TransferOptions, TransferOptionsValidator>(services, TransferOptions.Section, runsStages);
        var sandbox = SandboxSection(configuration);
        services.AddOptions<TransferOptions>().PostConfigure<IOptions<DataOptions>>((transfer, data) =>
        {
            if (transfer.Protocol == TransferProtocol.Local && string.IsNullOrWhiteSpace(transfer.LocalFolder))
            {
                transfer.LocalFolder = sandbox is { Embedded: true }
                    ? EmbeddedSandbox.DropFolderOf(sandbox, data.Value)
                    : Path.Combine(Path.GetFullPath(data.Value.Folder), "drop");
            }
        });
        services.AddSingleton(sp => FileDrops.Create(
            sp.GetRequiredService<IOptions<TransferOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>()));
    }

    private static SandboxOptions? SandboxSection(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(SandboxOptions.Section).Get<SandboxOptions>();
        }
        catch (InvalidOperationException)
        {
            // A malformed Sandbox section is reported by the configuration shape check.
            return null;
        }
    }

    private static void AddValidated<TOptions, TValidator>(IServiceCollection services, string section, bool validateOnStart)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        var builder = services.AddOptions<TOptions>().BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = true);
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        if (validateOnStart)
        {
            builder.ValidateOnStart();
        }
    }
}
