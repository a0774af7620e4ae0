using CampaignEtl.Platform.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Platform;

public static class PlatformServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates (at start) the <c>Platform</c> section and registers <see cref="IPlatformClientFactory"/>:
    /// a run creates its client from it and disposes it at the end (logout).
    /// </summary>
    public static IServiceCollection AddPlatformClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PlatformOptions>().Bind(configuration.GetSection(PlatformOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlatformOptions>, PlatformOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPlatformClientFactory, PlatformClientFactory>();
        return services;
    }
}

/// <summary>Shares one WCF channel factory (connection pool) between the runs of a process.</summary>
public sealed class PlatformClientFactory(IOptions<PlatformOptions> options, TimeProvider time, ILoggerFactory loggers) : IPlatformClientFactory, IDisposable
{
    private readonly Lazy<WcfSoapTransport> transport = new(() => new WcfSoapTransport(options.Value));

    public IPlatformClient Create() =>
        new PlatformClient(transport.Value, options.Value, time, loggers.CreateLogger("CampaignEtl.Platform"));

    public void Dispose()
    {
        if (transport.IsValueCreated)
        {
            transport.Value.Dispose();
        }
    }
}
