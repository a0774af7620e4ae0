using CampaignEtl.Platform.Soap;
using CampaignEtl.Platform.Transport;
using Microsoft.Extensions.Logging;

namespace CampaignEtl.Platform;

/// <summary>
/// The path of every call: concurrency limit, session (lazy login, renewal before the lifetime, re-login on
/// <c>Invalid sessionId</c>), budget, and retries of transient failures for operations that are safe to repeat.
/// </summary>
/// <remarks>
/// Order matters: a call first waits for its concurrency slot and only then takes the current session, so a
/// call queued behind <see cref="PlatformOptions.MaxConcurrency"/> never carries a session that was renewed
/// or found dead while it waited. A login runs in the slot of the call that needs it; logins are single-flight
/// (one gate, double-checked), so every caller that sees the same session die shares one re-login.
/// </remarks>
internal sealed class PlatformCaller : IAsyncDisposable
{
    // A call refused with Invalid sessionId is sent again with the next session (one re-login shared by every
    // caller that saw the same session die). It gives up when the refused session was logged in after its
    // previous refusal, this call was the first sent with it and it answered no call: the platform refuses
    // fresh sessions, and another login would not help. A session that other calls used first was used up or
    // expired (say by other callers while this one waited), so the next session is worth a try, at most this
    // many times.
    private const int MaxSessionResends = 4;

    private static readonly RpcRead<int> Nothing = new(static _ => 0);
    private static readonly RpcRead<string?> SessionId = new(static r => r.ReadString(r.Return));

    private readonly ISoapTransport transport;
    private readonly PlatformOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SemaphoreSlim concurrency;
    private readonly SemaphoreSlim loginGate = new(1, 1);
    private readonly Lock gate = new();
    private Session? session;
    private long generations;
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

    public Task<T> CallAsync<T>(PlatformOperation operation, Func<string, SoapArg[]> args, Func<RpcResult, T> read, CancellationToken cancellationToken) =>
        CallAsync(operation, args, new RpcRead<T>(read), cancellationToken);

    public Task<T> CallAsync<T>(PlatformOperation operation, Func<string, SoapArg[]> args, RpcRead<T> read, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return WithRetriesAsync(operation, ct => InSessionAsync(operation, args, read, ct), cancellationToken);
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
            var logout = PlatformContract.Session.Logout;
            await WithRetriesAsync(logout, ct => SendAsync(logout, [SoapArg.String(current.Id)], Nothing, budgeted: false, ct), cancellationToken);
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

    /// <summary>
    /// One try of a call, in its concurrency slot: the current session (logging in if needed), then the call;
    /// on <c>Invalid sessionId</c> the dead session is dropped and the call sent again with the next one.
    /// </summary>
    private async Task<T> InSessionAsync<T>(PlatformOperation operation, Func<string, SoapArg[]> args, RpcRead<T> read, CancellationToken cancellationToken)
    {
        // The newest session generation when this call was last refused; sessions up to it existed before the refusal.
        long? refusedAt = null;
        for (var resends = 0; ; resends++)
        {
            var current = await SessionAsync(cancellationToken);
            var first = current.CountSend() == 1;
            try
            {
                var value = await SendAsync(operation, args(current.Id), read, budgeted: true, cancellationToken);
                current.Served();
                return value;
            }
            catch (PlatformFaultException fault) when (fault.Kind == PlatformFaultKind.InvalidSessionId
                && resends < MaxSessionResends
                && !(refusedAt is { } previous && current.Generation > previous && first && !current.HasServed))
            {
                Log.SessionRejected(logger, operation.Key);
                refusedAt = Interlocked.Read(ref generations);
                Forget(current);
            }
        }
    }

    /// <summary>
    /// Runs tries of one call, each in a concurrency slot, until one succeeds or a failure is final. A transient
    /// failure is retried after a backoff (outside the slot) when the operation is safe to repeat, or when it was
    /// the login before it (then nothing of the call was sent).
    /// </summary>
    private async Task<T> WithRetriesAsync<T>(PlatformOperation operation, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (var tries = 1; ; tries++)
        {
            TimeSpan delay;
            await concurrency.WaitAsync(cancellationToken);
            try
            {
                return await attempt(cancellationToken);
            }
            catch (PlatformException ex) when (ex.IsTransient && tries < options.Retry.Attempts
                && (operation.SafeToRepeat || ex.Operation == PlatformContract.Session.Login.Key))
            {
                delay = options.Retry.DelayBefore(tries);
                Log.Retrying(logger, ex.Operation, tries, ex.Message, delay);
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

    /// <summary>The current session, logging in (once for all waiting callers) when there is none or it is due for renewal.</summary>
    private async Task<Session> SessionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref session);
        if (current is not null && time.GetUtcNow() < current.RenewAt)
        {
            return current;
        }

        await loginGate.WaitAsync(cancellationToken);
        try
        {
            current = Volatile.Read(ref session);
            var now = time.GetUtcNow();
            if (current is not null && now < current.RenewAt)
            {
                return current;
            }

            if (current is not null)
            {
                // The old session is not logged out: calls in flight may still use it, and the
                // platform ends it on its own 20 minutes after login.
                Log.SessionRenewing(logger, now - current.LoggedInAt);
            }

            // Sent in the slot of the call that needs it; a transient failure fails that call's try.
            var id = await SendAsync(
                PlatformContract.Session.Login,
                [SoapArg.Long(options.MandatorId), SoapArg.String(options.User), SoapArg.String(options.Password)],
                SessionId,
                budgeted: true,
                cancellationToken);
            if (string.IsNullOrWhiteSpace(id))
            {
                throw PlatformException.BadResponse(PlatformContract.Session.Login.Key, "login returned no session id");
            }

            Scrubber.Add(id);
            var fresh = new Session(id, now, now + options.SessionLifetime, Interlocked.Increment(ref generations));
            lock (gate)
            {
                session = fresh;
            }

            Log.LoggedIn(logger, options.User, options.MandatorId, options.SessionLifetime);
            return fresh;
        }
        finally
        {
            loginGate.Release();
        }
    }

    /// <summary>Drops the session if it is still the current one; a caller that learns of the death later changes nothing.</summary>
    private void Forget(Session dead)
    {
        lock (gate)
        {
            if (ReferenceEquals(session, dead))
            {
                session = null;
            }
        }
    }

    /// <summary>One HTTP exchange, counted (and checked against the budget) before it is sent.</summary>
    private Task<T> SendAsync<T>(PlatformOperation operation, SoapArg[] args, RpcRead<T> read, bool budgeted, CancellationToken cancellationToken)
    {
        if (!Calls.TryCount(operation.Key, budgeted ? options.CallBudget : null))
        {
            throw new PlatformCallBudgetExceededException(operation.Key, options.CallBudget ?? 0);
        }

        return transport.SendAsync(operation, args, read, Scrubber, cancellationToken);
    }

    private sealed class Session(string id, DateTimeOffset loggedInAt, DateTimeOffset renewAt, long generation)
    {
        private int sends;
        private int served;

        public string Id { get; } = id;

        public DateTimeOffset LoggedInAt { get; } = loggedInAt;

        public DateTimeOffset RenewAt { get; } = renewAt;

        /// <summary>Numbers the logins of this client: a session with a higher number was logged in later.</summary>
        public long Generation { get; } = generation;

        /// <summary>Counts a call about to be sent with this session; 1 = the first.</summary>
        public int CountSend() => Interlocked.Increment(ref sends);

        /// <summary>Whether a call sent with this session was answered (it was alive at some point).</summary>
        public bool HasServed => Volatile.Read(ref served) != 0;

        public void Served() => Volatile.Write(ref served, 1);
    }
}
