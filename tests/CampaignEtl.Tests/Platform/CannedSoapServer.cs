using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;

namespace CampaignEtl.Tests.Platform;

/// <summary>One request as the server saw it.</summary>
internal sealed record RecordedRequest(string Method, string Path, string? SoapAction, string? ContentType, string Body)
{
    private XElement? call;

    /// <summary>The body's first element: the operation element.</summary>
    public XElement Call => call ??= XDocument.Parse(Body).Root!.Elements().Single(e => e.Name.LocalName == "Body").Elements().First();

    public string Operation => Call.Name.LocalName;

    public string? Part(string name) => Call.Element(name)?.Value;
}

/// <summary>What the server answers: a status, a content type and canned bytes.</summary>
internal sealed record CannedResponse(int Status, string ContentType, byte[] Body)
{
    public static CannedResponse Fixture(string name, int status = 200) =>
        new(status, "text/xml; charset=utf-8", SoapFixtures.Bytes(name));

    public static CannedResponse Xml(string xml, int status = 200) =>
        new(status, "text/xml; charset=utf-8", Encoding.UTF8.GetBytes(xml));

    public static CannedResponse Html500() => new(500, "text/html; charset=iso-8859-1", SoapFixtures.Bytes("http500_html.html"));

    public static CannedResponse Unavailable503() => new(503, "text/plain", Encoding.UTF8.GetBytes("Service Unavailable"));
}

/// <summary>
/// A tiny real HTTP server on 127.0.0.1 serving canned fixture bytes, so transport behaviour (headers,
/// status codes, WCF's reading of error pages) is tested over a socket without the sandbox.
/// </summary>
internal sealed class CannedSoapServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Func<RecordedRequest, CannedResponse> handler;
    private readonly Task loop;

    public CannedSoapServer(Func<RecordedRequest, CannedResponse> handler)
    {
        this.handler = handler;
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{port}/soap11/");
        loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public IEnumerable<string> Operations => Requests.Select(r => r.Operation);

    /// <summary>Answers per operation name from a script: each call takes the next answer, the last one repeats.</summary>
    public static CannedSoapServer Scripted(Dictionary<string, CannedResponse[]> script)
    {
        var positions = new ConcurrentDictionary<string, int>();
        return new CannedSoapServer(request =>
        {
            if (!script.TryGetValue(request.Operation, out var answers))
            {
                return CannedResponse.Xml("<unexpected/>", 500);
            }

            var index = positions.AddOrUpdate(request.Operation, 0, (_, i) => i + 1);
            return answers[Math.Min(index, answers.Length - 1)];
        });
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var request = new RecordedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Headers["SOAPAction"], context.Request.ContentType, body);
            Requests.Enqueue(request);
            CannedResponse response;
            try
            {
                response = handler(request);
            }
            catch (Exception ex)
            {
                response = CannedResponse.Xml("<handler-failed>" + ex.GetType().Name + "</handler-failed>", 500);
            }

            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            context.Response.ContentLength64 = response.Body.Length;
            await context.Response.OutputStream.WriteAsync(response.Body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        // Bounded: the managed HttpListener on Linux does not always end a pending GetContextAsync (or the read of a
        // request whose client went away) when stopped; awaiting the loop unbounded hung a whole test run once.
        await loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
