using System.ServiceModel.Channels;
using CampaignEtl.Platform.Soap;
using CampaignEtl.Platform.Transport;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Tests.Platform;

/// <summary>The encoder writes the envelope straight into WCF's pooled buffer at the message offset.</summary>
public sealed class RawSoapEncoderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void WriteMessage_Batch_SameBytesAsTheWriterAtTheMessageOffset(int messageOffset)
    {
        // Long values, so the buffer grows past the size estimate while it is written.
        var values = Enumerable.Range(0, 2000).Select(i => i % 7 == 0 ? null : new string('x', i % 50) + " & <Zoë> " + i).ToArray();
        SoapArg[] args = [SoapArg.String("sid"), SoapArg.Long(1), SoapArg.Long(0), SoapArg.StringArray(["r1", "r2"]), SoapArg.StringArray(["e1", "e2"]), SoapArg.StringArray(["a"]), SoapArg.StringArray(values)];
        var pool = BufferManager.CreateBufferManager(64L * 1024 * 1024, 16 * 1024 * 1024);
        using var reference = new MemoryStream();
        RpcRequestWriter.WriteEnvelopeWithXmlWriter(reference, Op.Recipient.AddAll3Flat, args);
        using var message = new RawRequestMessage(Op.Recipient.AddAll3Flat, args);

        var segment = RawSoapEncoderFactory.Instance.Encoder.WriteMessage(message, int.MaxValue, pool, messageOffset);

        segment.Offset.ShouldBe(messageOffset);
        segment.AsSpan().ToArray().ShouldBe(reference.ToArray());
        pool.ReturnBuffer(segment.Array!);
    }

    [Fact]
    public void WriteMessage_LargerThanTheQuota_IsRefused()
    {
        SoapArg[] args = [SoapArg.String("sid"), SoapArg.Long(1), SoapArg.Long(0)];
        var pool = BufferManager.CreateBufferManager(1024 * 1024, 64 * 1024);
        using var message = new RawRequestMessage(Op.Recipient.GetCount, args);

        Should.Throw<System.ServiceModel.QuotaExceededException>(() => RawSoapEncoderFactory.Instance.Encoder.WriteMessage(message, 100, pool, 0));
    }
}
