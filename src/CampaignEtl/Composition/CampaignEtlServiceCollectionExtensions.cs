using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Selections;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Export;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Composition;

public static class CampaignEtlServiceCollectionExtensions
{
    /// <summary>
    /// The one composition method: options (validated; with <paramref name="validateEverythingOnStart"/>
    /// all of them before anything runs), time, the CRM, the stages and the runner.
    /// </summary>
    public static IServiceCollection AddCampaignEtl(this IServiceCollection services, bool validateEverythingOnStart)
    {
        services.TryAddSingleton(TimeProvider.System);

        AddValidated<DataOptions, DataOptionsValidator>(services, DataOptions.Section, validateOnStart: true);
        AddValidated<RunOptions, RunOptionsValidator>(services, RunOptions.Section, validateEverythingOnStart);
        AddValidated<ScheduleOptions, ScheduleOptionsValidator>(services, ScheduleOptions.Section, validateEverythingOnStart);
        AddValidated<ArchiveOptions, ArchiveOptionsValidator>(services, ArchiveOptions.Section, validateEverythingOnStart);
        AddValidated<ExportOptions, ExportOptionsValidator>(services, ExportOptions.Section, validateEverythingOnStart);

        services.AddSingleton(sp =>
        {
            var data = sp.GetRequiredService<IOptions<DataOptions>>().Value;
            return new CrmDatabase(data.CrmDatabasePath, TimeSpan.FromSeconds(data.BusyTimeoutSeconds));
        });
        services.AddSingleton<CrmExportReader>();
        services.AddSingleton<DemoCrmSeeder>();
        services.AddSingleton<IStage, ExportStage>();
        services.AddSingleton<PipelineRunner>();
        return services;
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
