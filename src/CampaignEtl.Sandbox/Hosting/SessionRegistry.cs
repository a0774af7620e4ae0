using System.Collections.Concurrent;
using System.Security.Cryptography;
using CampaignEtl.Sandbox.Soap;

namespace CampaignEtl.Sandbox.Hosting;

/// <summary>Sessions: 16 random hex characters, dying <see cref="SandboxOptions.SessionLifetime"/> after login (absolute) or after <see cref="SandboxOptions.SessionLifetimeCalls"/> calls.</summary>
internal sealed class SessionRegistry(SandboxOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public int Active => _sessions.Count;

    public string Login(long mandatorId, string? user, string? password)
    {
        var ok = mandatorId == options.MandatorId
            && string.Equals(user, options.User, StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(password ?? string.Empty),
                System.Text.Encoding.UTF8.GetBytes(options.Password));
        if (!ok)
        {
            throw SandboxFault.InvalidCredentials();
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _sessions[id] = new Session(time.GetUtcNow());
        return id;
    }

    /// <summary>Counts a call on the session; throws <c>Invalid sessionId</c> for an unknown, expired or used-up session.</summary>
    public void Use(string? sessionId)
    {
        if (sessionId is null || !_sessions.TryGetValue(sessionId, out var session))
        {
            throw SandboxFault.InvalidSession();
        }

        var calls = Interlocked.Increment(ref session.Calls);
        if (time.GetUtcNow() - session.LoggedInAt >= options.SessionLifetime
            || (options.SessionLifetimeCalls > 0 && calls > options.SessionLifetimeCalls))
        {
            _sessions.TryRemove(sessionId, out _);
            throw SandboxFault.InvalidSession();
        }
    }

    public void Logout(string? sessionId)
    {
        Use(sessionId);
        _sessions.TryRemove(sessionId!, out _);
    }

    private sealed class Session(DateTimeOffset loggedInAt)
    {
        public int Calls;

        public DateTimeOffset LoggedInAt { get; } = loggedInAt;
    }
}
