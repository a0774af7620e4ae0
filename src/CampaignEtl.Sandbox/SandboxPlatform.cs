using System.Net;
using CampaignEtl.Sandbox.Hosting;
using CampaignEtl.Sandbox.Soap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.Sandbox;

/// <summary>
/// The embedded stand-in for Optimizely Campaign: a Kestrel server on 127.0.0.1 speaking SOAP 1.1 rpc/encoded as
/// Apache Axis 1.4 does, at <see cref="Endpoint"/> + <c>Rpc&lt;Name&gt;</c>, its state in its own SQLite file.
/// </summary>
public sealed partial class SandboxPlatform : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly FaultInjector _faults;
    private readonly RpcDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly string? _tempRoot;
    private int _disposed;

    private SandboxPlatform(WebApplication app, SandboxOptions options, TimeProvider time, SandboxState state, SessionRegistry sessions, ILogger logger, string dropFolder, string? tempRoot)
    {
        _app = app;
        _options = options;
        _time = time;
        State = state;
        Sessions = sessions;
        _faults = new FaultInjector(options);
        _dispatcher = new RpcDispatcher(state, sessions, time);
        _logger = logger;
        DropFolder = dropFolder;
        _tempRoot = tempRoot;
    }

    /// <summary>The SOAP base address, e.g. <c>http://127.0.0.1:41234/soap11/</c>; services at <c>Rpc&lt;Name&gt;</c> under it.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Seeding and inspection of the platform's state.</summary>
    public SandboxState State { get; }

    /// <summary>Where response, outbounce and unsubscriber export files are written.</summary>
    public string DropFolder { get; }

    /// <summary>SOAP calls received (including injected failures).</summary>
    public long CallCount => _faults.Calls;

    /// <summary>Calls answered by an injected failure.</summary>
    public long InjectedFaultCount => _faults.Injected;

    internal SessionRegistry Sessions { get; }

    /// <summary>Starts the sandbox on 127.0.0.1 and a random free port.</summary>
    public static Task<SandboxPlatform> StartAsync(SandboxOptions options, TimeProvider time, ILoggerFactory? logs, CancellationToken ct) =>
        StartAsync(options, time, logs, 0, ct);

    /// <summary>Starts the sandbox on 127.0.0.1:<paramref name="port"/> (0 = a random free port).</summary>
    public static async Task<SandboxPlatform> StartAsync(SandboxOptions options, TimeProvider time, ILoggerFactory? logs, int port, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        SandboxOptionsValidator.ThrowIfInvalid(options);
        logs ??= NullLoggerFactory.Instance;

        string? tempRoot = null;
        if (options.DatabasePath is null || options.DropFolder is null)
        {
            tempRoot = Path.Combine(Path.GetTempPath(), "campaignetl-sandbox", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(tempRoot);
        }

        var databasePath = Path.GetFullPath(options.DatabasePath ?? Path.Combine(tempRoot!, "sandbox.sqlite"));
        var dropFolder = Path.GetFullPath(options.DropFolder ?? Path.Combine(tempRoot!, "drop"));
        Directory.CreateDirectory(dropFolder);

        var state = await SandboxState.OpenAsync(options, time, databasePath, ct);
        foreach (var list in options.RecipientLists)
        {
            await state.CreateRecipientListAsync(list.Id, list.Name, list.Attributes, list.IsOptInList, ct);
        }

        foreach (var entry in options.BlocklistEntries)
        {
            await state.AddBlocklistEntryAsync(entry, "configured", ct);
        }

        // The empty builder reads no configuration (no appsettings.json, no ASPNETCORE_URLS): the sandbox binds only what it is told.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        var platform = new SandboxPlatform(app, options, time, state, new SessionRegistry(options, time), logs.CreateLogger<SandboxPlatform>(), dropFolder, tempRoot);
        app.Run(platform.HandleAsync);
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            await state.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bound = new Uri(address);
        platform.Endpoint = new Uri($"http://127.0.0.1:{bound.Port}/soap11/");
        LogStarted(platform._logger, platform.Endpoint, databasePath, dropFolder);
        return platform;
    }

    /// <summary>For the CLI verb <c>sandbox serve</c>: runs on 127.0.0.1:<paramref name="port"/> until <paramref name="ct"/> is cancelled.</summary>
    public static async Task RunStandaloneAsync(SandboxOptions options, int port, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        await using var platform = await StartAsync(options, time, logs, port, ct);
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            LogStopping(platform._logger, platform.CallCount);
        }
    }

    /// <summary>Simulates a mailing to the list (see <see cref="SandboxState"/>); deterministic for a seed; writes the response export file.</summary>
    public Task<MailingSimulationResult> SimulateMailingAsync(long mailingId, long listId, int seed, DateOnly date, MailingSimulationRates? rates = null, CancellationToken ct = default) =>
        State.SimulateMailingAsync(mailingId, listId, seed, date, rates ?? new MailingSimulationRates(), DropFolder, ct);

    /// <summary>Writes the scheduled outbounce and unsubscriber exports (full) for <paramref name="date"/> into the drop folder.</summary>
    public Task<(string Outbounces, string Unsubscribes)> WriteSuppressionExportsAsync(DateOnly date, CancellationToken ct = default) =>
        State.WriteSuppressionExportsAsync(date, DropFolder, ct);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await State.DisposeAsync();
        if (_tempRoot is not null)
        {
            try
            {
                Directory.Delete(_tempRoot, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temp folder left behind is harmless
            }
            catch (UnauthorizedAccessException)
            {
                // as above
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var path = context.Request.Path.Value ?? string.Empty;
        const string Prefix = "/soap11/";
        var service = path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..].TrimEnd('/') : string.Empty;
        if (!RpcDispatcher.Services.Contains(service))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/html;charset=utf-8";
            await context.Response.WriteAsync("<html><body><h1>404 Not Found</h1></body></html>", ct);
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (_options.Latency > TimeSpan.Zero)
        {
            await Task.Delay(_options.Latency, _time, ct);
        }

        var fault = _faults.Next();
        if (fault is { Phase: FaultPhase.BeforeWork } before)
        {
            LogInjected(_logger, service, before.Kind, before.Phase);
            await AnswerInjectedAsync(context, before.Kind);
            return;
        }

        byte[] body;
        var started = _time.GetTimestamp();
        var status = StatusCodes.Status200OK;
        string operation = "?";
        try
        {
            using var buffer = new MemoryStream(context.Request.ContentLength is > 0 and < int.MaxValue ? (int)context.Request.ContentLength.Value : 4096);
            await context.Request.Body.CopyToAsync(buffer, ct);
            buffer.Position = 0;
            var call = RpcRequestReader.Read(buffer, service);
            operation = call.Operation;
            var result = await _dispatcher.DispatchAsync(call, ct);
            body = AxisResponseWriter.WriteResponse(service, call.Operation, result);
        }
        catch (SandboxFault ex)
        {
            LogFault(_logger, service, operation, ex.FaultString);
            body = AxisResponseWriter.WriteFault(ex);
            status = StatusCodes.Status500InternalServerError;
        }
        catch (BadHttpRequestException ex)
        {
            body = AxisResponseWriter.WriteFault(SandboxFault.BadRequest(ex.Message));
            status = StatusCodes.Status500InternalServerError;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A sandbox bug or a database problem: answered as Axis answers an unexpected Java exception.
            LogUnexpected(_logger, ex, service, operation);
            body = AxisResponseWriter.WriteFault(SandboxFault.Unexpected(ex.GetType().Name));
            status = StatusCodes.Status500InternalServerError;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = (long)_time.GetElapsedTime(started).TotalMilliseconds;
            LogCall(_logger, service, operation, status, elapsedMs);
        }

        if (fault is { } after)
        {
            LogInjected(_logger, service, after.Kind, after.Phase);
            await AnswerInjectedAsync(context, after.Kind);
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml;charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, ct);
    }

    private static async Task AnswerInjectedAsync(HttpContext context, SandboxFaultKinds kind)
    {
        switch (kind)
        {
            case SandboxFaultKinds.AxisFault:
                var fault = AxisResponseWriter.WriteFault(SandboxFault.Injected());
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                context.Response.ContentType = "text/xml;charset=utf-8";
                context.Response.ContentLength = fault.Length;
                await context.Response.Body.WriteAsync(fault, context.RequestAborted);
                break;
            case SandboxFaultKinds.HtmlErrorPage:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/html;charset=iso-8859-1";
                await context.Response.WriteAsync(
                    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n" +
                    "<p>The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.</p>\n</body></html>\n",
                    context.RequestAborted);
                break;
            default:
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                context.Abort();
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox platform listening at {Endpoint} (database {DatabasePath}, drop folder {DropFolder})")]
    private static partial void LogStarted(ILogger logger, Uri endpoint, string databasePath, string dropFolder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox platform stopping after {CallCount} calls")]
    private static partial void LogStopping(ILogger logger, long callCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sandbox {Service}.{Operation} answered with a fault: {FaultString}")]
    private static partial void LogFault(ILogger logger, string service, string operation, string faultString);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox {Service}.{Operation} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string service, string operation);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sandbox {Service}.{Operation} answered {StatusCode} in {ElapsedMs} ms")]
    private static partial void LogCall(ILogger logger, string service, string operation, int statusCode, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sandbox {Service}: injected {FaultKind} {FaultPhase}")]
    private static partial void LogInjected(ILogger logger, string service, SandboxFaultKinds faultKind, FaultPhase faultPhase);
}
