using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.ServiceModel.Security;
using System.Xml;
using CampaignEtl.Platform.Soap;

namespace CampaignEtl.Platform.Transport;

/// <summary>
/// The HTTP leg through System.ServiceModel.Http: a <see cref="CustomBinding"/> of our encoder over WCF's HTTP(S)
/// transport gives HTTPS, timeouts and message quotas; the raw <see cref="IRequestChannel"/> carries messages whose
/// bytes we write and read ourselves (WCF's own encoded serializer mishandles this API, and its XML layer cost more
/// CPU than the rest of a call). SOAP 1.1 without addressing, so the <c>SOAPAction</c> header is the message action
/// quoted: <c>""</c>, as the WSDL says.
/// </summary>
internal sealed class WcfSoapTransport : ISoapTransport, IDisposable
{
    private readonly IChannelFactory<IRequestChannel> factory;
    private readonly Uri endpoint;
    private readonly TimeSpan timeout;
    private readonly long maxReceivedMessageSize;
    private readonly Dictionary<string, EndpointAddress> addresses = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    // DTDs refused (the default), no resolver; depth is bounded by RpcResponseReader, size by the binding's quota.
    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        DtdProcessing = DtdProcessing.Prohibit,
        CloseInput = false,
    };

    public WcfSoapTransport(PlatformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        endpoint = PlatformOptions.ParseEndpoint(options.Endpoint)
            ?? throw new ArgumentException($"Platform:Endpoint = '{options.Endpoint}' is not an absolute http(s) URI", nameof(options));
        timeout = options.Timeout;
        maxReceivedMessageSize = options.MaxReceivedMessageSize;
        var binding = CreateBinding(endpoint, options.Timeout, options.MaxReceivedMessageSize);
        factory = binding.BuildChannelFactory<IRequestChannel>(new BindingParameterCollection());
        factory.Open();
    }

    /// <summary>
    /// HTTP or HTTPS (by the endpoint's scheme) with the timeouts and the answer quota, under our encoder
    /// (<see cref="RawSoapEncodingBindingElement"/>): WCF moves the bytes, we write and read them.
    /// </summary>
    internal static CustomBinding CreateBinding(Uri endpoint, TimeSpan timeout, long maxReceivedMessageSize)
    {
        var https = endpoint.Scheme == Uri.UriSchemeHttps;
        var max = (int)Math.Min(maxReceivedMessageSize, int.MaxValue);
        var transport = https ? new HttpsTransportBindingElement() : new HttpTransportBindingElement();
        transport.MaxReceivedMessageSize = maxReceivedMessageSize;
        transport.MaxBufferSize = max;
        // Pooled buffers up to this size: a 1000 x 10 batch is about 0.5 MB, above WCF's 512 KiB default,
        // so without this every call would allocate its request and answer buffers afresh.
        transport.MaxBufferPoolSize = 64L * 1024 * 1024;
        transport.TransferMode = TransferMode.Buffered;
        return new CustomBinding(new RawSoapEncodingBindingElement(), transport)
        {
            OpenTimeout = timeout,
            SendTimeout = timeout,
            ReceiveTimeout = timeout,
            CloseTimeout = timeout,
        };
    }

    public async Task<T> SendAsync<T>(PlatformOperation operation, SoapArg[] args, RpcRead<T> read, SecretScrubber scrubber, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var channel = factory.CreateChannel(AddressOf(operation.Service));
        try
        {
            channel.Open(timeout);
            using var request = new RawRequestMessage(operation, args);
            Message reply;
            // WCF's request takes no token; aborting the channel is how a cancelled call lets go of the socket.
            using (cancellationToken.Register(static c => ((IChannel)c!).Abort(), channel))
            {
                reply = await Task.Factory.FromAsync(channel.BeginRequest, channel.EndRequest, request, timeout, null);
            }

            T value;
            using (reply)
            {
                value = Decode(operation, reply, read, scrubber);
            }

            channel.Close(timeout);
            return value;
        }
        catch (Exception ex) when (ex is not PlatformException)
        {
            channel.Abort();
            cancellationToken.ThrowIfCancellationRequested();
            throw Map(operation.Key, ex, timeout, maxReceivedMessageSize, scrubber);
        }
        catch
        {
            channel.Abort();
            throw;
        }
    }

    private static T Decode<T>(PlatformOperation operation, Message? reply, RpcRead<T> read, SecretScrubber scrubber)
    {
        if (reply is not RawReplyMessage { Bytes: { Count: > 0 } bytes })
        {
            throw PlatformException.BadResponse(operation.Key, "the answer is empty (no SOAP envelope)");
        }

        // The fast readers take the plain answers the platform sends (arrays typed, without a tree); whatever they
        // decline (faults, odd or broken XML, values the tree's readers refuse) is read by the XmlReader path, which
        // owns every error message.
        if (read.TryReadTyped(bytes.AsSpan(), operation, out var typed))
        {
            return typed;
        }

        if (Utf8RpcReader.TryRead(bytes.AsSpan(), operation) is { } fast)
        {
            return read.Read(fast);
        }

        using var stream = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        using var reader = XmlReader.Create(stream, ReaderSettings);
        return read.Read(RpcResponseReader.ReadEnvelope(reader, operation, scrubber));
    }

    private EndpointAddress AddressOf(PlatformService service)
    {
        lock (gate)
        {
            if (!addresses.TryGetValue(service.Path, out var address))
            {
                address = new EndpointAddress(new Uri(endpoint, service.Path));
                addresses.Add(service.Path, address);
            }

            return address;
        }
    }

    /// <summary>
    /// WCF reports wire trouble as a family of <see cref="CommunicationException"/>s; each becomes a message an
    /// operator can act on, and 5xx without a fault, timeouts and dropped connections are marked transient.
    /// </summary>
    internal static PlatformException Map(string operation, Exception ex, TimeSpan timeout, long maxReceivedMessageSize, SecretScrubber scrubber)
    {
        var status = StatusOf(ex);
        return ex switch
        {
            TimeoutException => PlatformException.Transport(operation, $"no answer within the timeout of {timeout} (Platform:Timeout)", true, ex),
            ServerTooBusyException => PlatformException.Transport(operation, $"HTTP {Code(status ?? HttpStatusCode.ServiceUnavailable)} without a SOAP fault (server busy or unavailable)", true, ex),
            QuotaExceededException or CommunicationException { InnerException: QuotaExceededException } =>
                PlatformException.BadResponse(operation, $"the answer is larger than Platform:MaxReceivedMessageSize = {maxReceivedMessageSize} bytes", ex),
            MessageSecurityException => PlatformException.Transport(operation, $"HTTP {Code(status ?? HttpStatusCode.Unauthorized)}: the platform refused the HTTP request (access or IP allow-list)", false, ex),
            ProtocolException => ProtocolProblem(operation, ex, status),
            // WCF raises the same exception for "connection refused" and for HTTP 404; only the
            // refused connection carries the socket error inside.
            EndpointNotFoundException when status is HttpStatusCode.NotFound || ex.InnerException is null =>
                PlatformException.Transport(operation, "HTTP 404: no such service at the endpoint (check Platform:Endpoint)", false, ex),
            EndpointNotFoundException => PlatformException.Transport(operation, "cannot connect to the platform (" + Reason(ex, scrubber) + ")", true, ex),
            CommunicationException => PlatformException.Transport(operation, "the connection failed (" + Reason(ex, scrubber) + ")", true, ex),
            XmlException => PlatformException.BadResponse(operation, $"the XML is broken or truncated ({ex.Message})", ex),
            HttpRequestException or IOException or SocketException => PlatformException.Transport(operation, "the connection failed (" + Reason(ex, scrubber) + ")", true, ex),
            _ => PlatformException.Transport(operation, $"the call failed: {ex.GetType().Name}", false, ex),
        };
    }

    private static PlatformException ProtocolProblem(string operation, Exception ex, HttpStatusCode? status)
    {
        // WCF refuses a body whose content type is not the binding's (text/xml): that is an error page
        // from a proxy or the application server, e.g. an HTML 500. The page itself is not echoed.
        var message = ex.Message;
        var contentType = ContentTypeIn(message);
        status ??= StatusIn(message);
        // WCF does not report the status of an answer it refused for its content type.
        var code = status is { } s ? "HTTP " + Code(s) : "an HTTP answer (status not reported by WCF)";
        var serverError = status is null || (int)status >= 500;
        if (contentType is not null)
        {
            return PlatformException.BadResponse(operation, $"{code} with a {contentType} body (an error page), not a SOAP envelope", ex, isTransient: serverError);
        }

        return PlatformException.BadResponse(operation, $"{code} without a SOAP envelope", ex, isTransient: serverError);
    }

    // "The remote server returned an unexpected response: (502) Bad Gateway."
    private static HttpStatusCode? StatusIn(string message)
    {
        var open = message.IndexOf("response: (", StringComparison.Ordinal);
        return open >= 0 && int.TryParse(message.AsSpan(open + "response: (".Length, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? (HttpStatusCode)code
            : null;
    }

    private static string? ContentTypeIn(string message)
    {
        const string Marker = "The content type ";
        var start = message.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += Marker.Length;
        var end = message.IndexOf(" of the response message", start, StringComparison.Ordinal);
        return end > start ? message[start..end] : null;
    }

    private static HttpStatusCode? StatusOf(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { StatusCode: { } code })
            {
                return code;
            }

            if (e is WebException { Response: HttpWebResponse response })
            {
                return response.StatusCode;
            }
        }

        return null;
    }

    private static string Reason(Exception ex, SecretScrubber scrubber)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return scrubber.Scrub(FirstSentence(inner.Message));
    }

    private static string FirstSentence(string text)
    {
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        var sentence = end > 0 ? text[..end] : text;
        return sentence.Length <= 200 ? sentence : sentence[..200] + "...";
    }

    private static string Code(HttpStatusCode status) => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try
        {
            factory.Close();
        }
        catch (CommunicationException)
        {
            factory.Abort();
        }
        catch (TimeoutException)
        {
            factory.Abort();
        }
    }
}
