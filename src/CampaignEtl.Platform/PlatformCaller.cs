using CampaignEtl.Platform.Soap;
using CampaignEtl.Platform.Transport;
using Microsoft.Extensions.Logging;

namespace CampaignEtl.Platform;

/// <summary>
/// The path of every call: session (lazy login, renewal before the lifetime, one re-login on
/// <c>Invalid sessionId</c>), budget, concurrency limit, and retries of transient failures for
/// operations that are safe to repeat.
/// </summary>
internal sealed class PlatformCaller : IAsyncDisposable
{
    private readonly ISoapTransport transport;
    private readonly PlatformOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SemaphoreSlim concurrency;
    private readonly SemaphoreSlim loginGate = new(1, 1);
    private readonly Lock gate = new();
    private Session? session;
    private bool disposed;

    public PlatformCaller(ISoapTransport transport, PlatformOptions options, TimeProvider time, ILogger logger)
    {
        this.transport = transport;
        this.options = options;
        this.time = time;
        this.logger = logger;
        concurrency = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        Scrubber.Add(options.Password);
    }

    public PlatformCallCounter Calls { get; } = new();

    internal SecretScrubber Scrubber { get; } = new();

    public async Task<T> CallAsync<T>(PlatformOperation operation, Func<string, SoapArg[]> args, Func<RpcResult, T> read, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var sessionId = await SessionIdAsync(cancellationToken);
        try
        {
            return await SendAsync(operation, args(sessionId), read, budgeted: true, cancellationToken);
        }
        catch (PlatformFaultException fault) when (fault.Kind == PlatformFaultKind.InvalidSessionId)
        {
            Log.SessionRejected(logger, operation.Key);
            Forget(sessionId);
            sessionId = await SessionIdAsync(cancellationToken);
            return await SendAsync(operation, args(sessionId), read, budgeted: true, cancellationToken);
        }
    }

    /// <summary>Logs out if logged in; a failure is logged, never thrown: the session ends on its own.</summary>
    public async Task LogoutAsync(CancellationToken cancellationToken)
    {
        Session? current;
        lock (gate)
        {
            current = session;
            session = null;
        }

        if (current is null)
        {
            return;
        }

        try
        {
            // Not budgeted: ending the session cleanly matters more than the budget.
            await SendAsync(PlatformContract.Session.Logout, [SoapArg.String(current.Id)], static _ => 0, budgeted: false, cancellationToken);
            Log.LoggedOut(logger, Calls.Total);
        }
        catch (PlatformException ex)
        {
            Log.LogoutFailed(logger, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        await LogoutAsync(CancellationToken.None);
        disposed = true;
        concurrency.Dispose();
        loginGate.Dispose();
    }

    private async Task<string> SessionIdAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref session);
        if (current is not null && time.GetUtcNow() < current.RenewAt)
        {
            return current.Id;
        }

        await loginGate.WaitAsync(cancellationToken);
        try
        {
            current = Volatile.Read(ref session);
            var now = time.GetUtcNow();
            if (current is not null && now < current.RenewAt)
            {
                return current.Id;
            }

            if (current is not null)
            {
                // The old session is not logged out: calls in flight may still use it, and the
                // platform ends it on its own 20 minutes after login.
                Log.SessionRenewing(logger, now - current.LoggedInAt);
            }

            var id = await SendAsync(
                PlatformContract.Session.Login,
                [SoapArg.Long(options.MandatorId), SoapArg.String(options.User), SoapArg.String(options.Password)],
                static r => r.ReadString(r.Return),
                budgeted: true,
                cancellationToken);
            if (string.IsNullOrWhiteSpace(id))
            {
                throw PlatformException.BadResponse(PlatformContract.Session.Login.Key, "login returned no session id");
            }

            Scrubber.Add(id);
            lock (gate)
            {
                session = new Session(id, now, now + options.SessionLifetime);
            }

            Log.LoggedIn(logger, options.User, options.MandatorId, options.SessionLifetime);
            return id;
        }
        finally
        {
            loginGate.Release();
        }
    }

    private void Forget(string sessionId)
    {
        lock (gate)
        {
            if (session?.Id == sessionId)
            {
                session = null;
            }
        }
    }

    private async Task<T> SendAsync<T>(PlatformOperation operation, SoapArg[] args, Func<RpcResult, T> read, bool budgeted, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (!Calls.TryCount(operation.Key, budgeted ? options.CallBudget : null))
            {
                throw new PlatformCallBudgetExceededException(operation.Key, options.CallBudget ?? 0);
            }

            TimeSpan delay;
            await concurrency.WaitAsync(cancellationToken);
            try
            {
                return await transport.SendAsync(operation, args, read, Scrubber, cancellationToken);
            }
            catch (PlatformException ex) when (ex.IsTransient && operation.SafeToRepeat && attempt < options.Retry.Attempts)
            {
                delay = options.Retry.DelayBefore(attempt);
                Log.Retrying(logger, operation.Key, attempt, ex.Message, delay);
            }
            finally
            {
                concurrency.Release();
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    private sealed record Session(string Id, DateTimeOffset LoggedInAt, DateTimeOffset RenewAt);
}
