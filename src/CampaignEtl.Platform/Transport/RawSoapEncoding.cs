using System.ServiceModel;
using System.ServiceModel.Channels;
using System.Xml;
using CampaignEtl.Platform.Soap;

namespace CampaignEtl.Platform.Transport;

/// <summary>
/// The message encoding of the transport's <see cref="CustomBinding"/>: SOAP 1.1 as <c>text/xml; charset=utf-8</c>,
/// whose bytes are ours. WCF's HTTP transport still does HTTP, HTTPS, timeouts, the <c>SOAPAction</c> header (from the
/// message's action, <c>""</c>) and the size quota; the encoder only copies our pre-encoded request envelope into WCF's
/// buffer and hands the raw answer bytes back unparsed, so no XmlDictionaryWriter/Reader touches a call.
/// </summary>
internal sealed class RawSoapEncodingBindingElement : MessageEncodingBindingElement
{
    public override MessageVersion MessageVersion
    {
        get => MessageVersion.Soap11;
        set
        {
            if (value != MessageVersion.Soap11)
            {
                throw new NotSupportedException("The platform speaks SOAP 1.1 without addressing only");
            }
        }
    }

    public override MessageEncoderFactory CreateMessageEncoderFactory() => RawSoapEncoderFactory.Instance;

    public override BindingElement Clone() => new RawSoapEncodingBindingElement();

    public override IChannelFactory<TChannel> BuildChannelFactory<TChannel>(BindingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.BindingParameters.Add(this);
        return context.BuildInnerChannelFactory<TChannel>();
    }

    public override bool CanBuildChannelFactory<TChannel>(BindingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.CanBuildInnerChannelFactory<TChannel>();
    }

    public override T GetProperty<T>(BindingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return typeof(T) == typeof(MessageVersion) ? (T)(object)MessageVersion.Soap11 : context.GetInnerProperty<T>();
    }
}

internal sealed class RawSoapEncoderFactory : MessageEncoderFactory
{
    public static readonly RawSoapEncoderFactory Instance = new();

    public override MessageEncoder Encoder { get; } = new RawSoapEncoder();

    public override MessageVersion MessageVersion => MessageVersion.Soap11;
}

internal sealed class RawSoapEncoder : MessageEncoder
{
    public const string MediaTypeText = "text/xml";
    public const string ContentTypeText = "text/xml; charset=utf-8";

    public override string ContentType => ContentTypeText;

    public override string MediaType => MediaTypeText;

    public override MessageVersion MessageVersion => MessageVersion.Soap11;

    public override bool IsContentTypeSupported(string contentType)
    {
        // text/xml with any (or no) charset parameter; the XML reader honours the document's own encoding.
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        return media.Trim().Equals(MediaTypeText, StringComparison.OrdinalIgnoreCase);
    }

    public override Message ReadMessage(ArraySegment<byte> buffer, BufferManager bufferManager, string contentType)
    {
        ArgumentNullException.ThrowIfNull(bufferManager);
        return new RawReplyMessage(buffer, bufferManager);
    }

    public override Message ReadMessage(Stream stream, int maxSizeOfHeaders, string contentType)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new RawReplyMessage(new ArraySegment<byte>(copy.GetBuffer(), 0, (int)copy.Length), null);
    }

    public override ArraySegment<byte> WriteMessage(Message message, int maxMessageSize, BufferManager bufferManager, int messageOffset)
    {
        ArgumentNullException.ThrowIfNull(bufferManager);
        var request = RawRequestMessage.Of(message);
        // Written straight into WCF's pooled buffer at its offset: no second copy of a 0.5 MB batch.
        using var envelope = Utf8EnvelopeWriter.Write(request.Operation, request.Args, bufferManager, messageOffset);
        if (envelope.Length > maxMessageSize)
        {
            throw new QuotaExceededException($"The request of {envelope.Length} bytes is larger than the binding allows ({maxMessageSize})");
        }

        message.Close();
        return envelope.Detach();
    }

    public override void WriteMessage(Message message, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var request = RawRequestMessage.Of(message);
        using var envelope = Utf8EnvelopeWriter.Write(request.Operation, request.Args);
        stream.Write(envelope.Written);
        message.Close();
    }
}

/// <summary>A request whose envelope the encoder writes from the operation and its arguments; WCF sees only its action ("") and properties.</summary>
internal sealed class RawRequestMessage(PlatformOperation operation, SoapArg[] args) : Message
{
    private readonly MessageHeaders headers = new(MessageVersion.Soap11) { Action = string.Empty };
    private readonly MessageProperties properties = [];

    public PlatformOperation Operation { get; } = operation;

    public SoapArg[] Args { get; } = args;

    public override MessageHeaders Headers => headers;

    public override MessageProperties Properties => properties;

    public override MessageVersion Version => MessageVersion.Soap11;

    public static RawRequestMessage Of(Message message) =>
        message as RawRequestMessage ?? throw new InvalidOperationException($"The platform's encoder writes only its own requests, not a {message?.GetType().Name}");

    protected override void OnWriteBodyContents(XmlDictionaryWriter writer) =>
        throw new NotSupportedException("The envelope is written by RawSoapEncoder as bytes");
}

/// <summary>An answer as its raw bytes, for <see cref="RpcResponseReader"/>; the buffer goes back to WCF's pool when the message closes.</summary>
internal sealed class RawReplyMessage(ArraySegment<byte> bytes, BufferManager? pool) : Message
{
    private readonly MessageHeaders headers = new(MessageVersion.Soap11);
    private readonly MessageProperties properties = [];
    private ArraySegment<byte> bytes = bytes;

    public ArraySegment<byte> Bytes => bytes;

    public override MessageHeaders Headers => headers;

    public override MessageProperties Properties => properties;

    public override MessageVersion Version => MessageVersion.Soap11;

    public override bool IsEmpty => bytes.Count == 0;

    protected override void OnWriteBodyContents(XmlDictionaryWriter writer) =>
        throw new NotSupportedException("The answer is read by RpcResponseReader from its bytes");

    protected override void OnClose()
    {
        var array = bytes.Array;
        bytes = default;
        if (pool is not null && array is not null)
        {
            pool.ReturnBuffer(array);
        }

        base.OnClose();
    }
}
