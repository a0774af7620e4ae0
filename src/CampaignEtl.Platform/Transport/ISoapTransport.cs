using CampaignEtl.Platform.Soap;

namespace CampaignEtl.Platform.Transport;

/// <summary>Sends one rpc/encoded call and decodes its answer; one HTTP exchange, no retries.</summary>
internal interface ISoapTransport
{
    Task<T> SendAsync<T>(PlatformOperation operation, SoapArg[] args, RpcRead<T> read, SecretScrubber scrubber, CancellationToken cancellationToken);
}
