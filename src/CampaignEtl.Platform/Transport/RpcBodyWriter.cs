using System.ServiceModel.Channels;
using System.Xml;
using CampaignEtl.Platform.Soap;

namespace CampaignEtl.Platform.Transport;

/// <summary>Hands our rpc/encoded body to WCF, which writes the envelope around it; nothing is buffered twice.</summary>
internal sealed class RpcBodyWriter(PlatformOperation operation, SoapArg[] args) : BodyWriter(isBuffered: true)
{
    protected override void OnWriteBodyContents(XmlDictionaryWriter writer) => RpcRequestWriter.WriteBody(writer, operation, args);
}
