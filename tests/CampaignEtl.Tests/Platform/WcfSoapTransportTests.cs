using CampaignEtl.Platform;
using CampaignEtl.Platform.Soap;
using CampaignEtl.Platform.Transport;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Tests.Platform;

/// <summary>The WCF leg over a real socket: headers as the WSDL says, and every bad answer a clear error.</summary>
public sealed class WcfSoapTransportTests
{
    private static readonly SecretScrubber Scrubber = new();

    [Fact]
    public async Task SendAsync_Request_PostsToServicePathWithEmptyQuotedSoapActionAndTextXml()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Fixture("getCount_multiref-after.xml"));
        using var transport = Transport(server);

        var count = await transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(4711), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken);

        count.ShouldBe(42);
        var request = server.Requests.Single();
        request.Method.ShouldBe("POST");
        request.Path.ShouldBe("/soap11/RpcRecipient");
        request.SoapAction.ShouldBe("\"\"");
        request.ContentType.ShouldBe("text/xml; charset=utf-8");
        request.Call.Name.NamespaceName.ShouldBe("urn:api.broadmail.de/soap11/RpcRecipient");
        request.Part("in1").ShouldBe("4711");
    }

    [Fact]
    public async Task SendAsync_FaultWithHttp500_ThrowsTypedFault()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Fixture("fault_invalid-sessionid.xml", 500));
        using var transport = Transport(server);

        var ex = await Should.ThrowAsync<PlatformFaultException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.Kind.ShouldBe(PlatformFaultKind.InvalidSessionId);
    }

    [Fact]
    public async Task SendAsync_Http500WithHtmlPage_IsAClearTransientError()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Html500());
        using var transport = Transport(server);

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.ShouldNotBeOfType<PlatformFaultException>();
        ex.Message.ShouldContain("RecipientWebservice.getCount");
        ex.Message.ShouldContain("text/html");
        ex.IsTransient.ShouldBeTrue();
    }

    [Fact]
    public async Task SendAsync_Http503WithoutFault_IsTransient()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Unavailable503());
        using var transport = Transport(server);

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.Message.ShouldContain("503");
        ex.IsTransient.ShouldBeTrue();
    }

    [Fact]
    public async Task SendAsync_TruncatedXml_IsAClearError()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Fixture("getCount_truncated.xml"));
        using var transport = Transport(server);

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.Message.ShouldContain("broken or truncated");
    }

    [Fact]
    public async Task SendAsync_WrongNamespace_IsAClearError()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Fixture("getCount_wrong-namespace.xml"));
        using var transport = Transport(server);

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.Message.ShouldContain("is in namespace 'urn:api.broadmail.de/soap11/RpcRecipientList'");
    }

    [Fact]
    public async Task SendAsync_MultiRefArrayOfArrays_IsReadThroughWcf()
    {
        await using var server = new CannedSoapServer(_ => CannedResponse.Fixture("getOutBounces_multiref-out-of-order.xml"));
        using var transport = Transport(server);

        var rows = await transport.SendAsync(Op.ClosedLoop.GetOutBounces, [SoapArg.String("sid-1"), SoapArg.Long(0), SoapArg.Long(1), SoapArg.Int(0), SoapArg.Int(1000)], RpcReads.StringMatrix, Scrubber, TestContext.Current.CancellationToken);

        rows.Length.ShouldBe(2);
        rows[1][0].ShouldBe("carl@example.org");
    }

    [Fact]
    public async Task SendAsync_Http404_IsNotTransientAndPointsAtTheEndpoint()
    {
        await using var server = new CannedSoapServer(_ => new CannedResponse(404, "text/html", "<html>Not Found</html>"u8.ToArray()));
        using var transport = Transport(server);

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.Message.ShouldBe("RecipientWebservice.getCount: HTTP 404: no such service at the endpoint (check Platform:Endpoint)");
        ex.IsTransient.ShouldBeFalse();
    }

    [Fact]
    public async Task SendAsync_NobodyListening_IsTransient()
    {
        Uri endpoint;
        await using (var server = new CannedSoapServer(_ => CannedResponse.Unavailable503()))
        {
            endpoint = server.Endpoint;
        }

        using var transport = new WcfSoapTransport(new PlatformOptions { Endpoint = endpoint.ToString(), Timeout = TimeSpan.FromSeconds(10) });

        var ex = await Should.ThrowAsync<PlatformException>(() => transport.SendAsync(Op.Recipient.GetCount, [SoapArg.String("sid-1"), SoapArg.Long(1), SoapArg.Long(0)], new RpcRead<int>(static r => r.ReadInt(r.Return)), Scrubber, TestContext.Current.CancellationToken));

        ex.IsTransient.ShouldBeTrue();
        ex.Message.ShouldBe("RecipientWebservice.getCount: the connection failed (Connection refused)");
    }

    private static WcfSoapTransport Transport(CannedSoapServer server) =>
        new(new PlatformOptions { Endpoint = server.Endpoint.ToString(), Timeout = TimeSpan.FromSeconds(10) });
}
