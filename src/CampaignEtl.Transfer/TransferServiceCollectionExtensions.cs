using CampaignEtl.Transfer.Ftp;
using CampaignEtl.Transfer.Local;
using CampaignEtl.Transfer.Sftp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Transfer;

public static class TransferServiceCollectionExtensions
{
    /// <summary>Binds and validates (at start) the <c>Transfer</c> section and registers the <see cref="IFileDrop"/> it describes.</summary>
    public static IServiceCollection AddFileDrop(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TransferOptions>().Bind(configuration.GetSection(TransferOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransferOptions>, TransferOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => FileDrops.Create(
            provider.GetRequiredService<IOptions<TransferOptions>>().Value,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>()));
        return services;
    }
}

/// <summary>Creates the transport the options name.</summary>
public static class FileDrops
{
    public static IFileDrop Create(TransferOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger("CampaignEtl.Transfer");
        return options.Protocol switch
        {
            TransferProtocol.Local => new LocalFileDrop(options, time, logger),
            TransferProtocol.Sftp => new SftpFileDrop(options, time, logger),
            TransferProtocol.Ftp or TransferProtocol.Ftps => new FtpFileDrop(options, time, logger),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Protocol, "unknown Transfer:Protocol"),
        };
    }
}
