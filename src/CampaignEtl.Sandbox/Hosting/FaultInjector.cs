namespace CampaignEtl.Sandbox.Hosting;

/// <summary>When a fault is injected relative to the work of the call.</summary>
internal enum FaultPhase
{
    /// <summary>The call fails before any state changes.</summary>
    BeforeWork,

    /// <summary>The work is done and committed, then the answer is lost (the realistic hard case).</summary>
    AfterWork,
}

internal readonly record struct InjectedFault(SandboxFaultKinds Kind, FaultPhase Phase);

/// <summary>
/// Deterministic fault draws: call number n (1, 2, ... in arrival order) and the seed give the same draws every run,
/// so a sequential client sees the same faults each time. Axis faults are injected before the work only (a server
/// error); HTML pages and dropped connections before or after it, half each.
/// </summary>
internal sealed class FaultInjector(SandboxOptions options)
{
    private long _calls;
    private long _injected;

    public long Calls => Interlocked.Read(ref _calls);

    public long Injected => Interlocked.Read(ref _injected);

    public InjectedFault? Next()
    {
        var n = (ulong)Interlocked.Increment(ref _calls);
        InjectedFault? fault = null;
        if (options.FaultRate > 0 && Draw(n, 1) < options.FaultRate)
        {
            var kinds = new List<SandboxFaultKinds>(3);
            foreach (var kind in (ReadOnlySpan<SandboxFaultKinds>)[SandboxFaultKinds.AxisFault, SandboxFaultKinds.HtmlErrorPage, SandboxFaultKinds.DroppedConnection])
            {
                if ((options.FaultKinds & kind) != 0)
                {
                    kinds.Add(kind);
                }
            }

            var chosen = kinds[(int)(Draw(n, 2) * kinds.Count) % kinds.Count];
            fault = new InjectedFault(chosen, chosen == SandboxFaultKinds.AxisFault || Draw(n, 3) < 0.5 ? FaultPhase.BeforeWork : FaultPhase.AfterWork);
        }
        else if (options.DroppedConnectionRate > 0 && Draw(n, 4) < options.DroppedConnectionRate)
        {
            fault = new InjectedFault(SandboxFaultKinds.DroppedConnection, Draw(n, 5) < 0.5 ? FaultPhase.BeforeWork : FaultPhase.AfterWork);
        }

        if (fault is not null)
        {
            Interlocked.Increment(ref _injected);
        }

        return fault;
    }

    /// <summary>A uniform draw in [0, 1) from (seed, call, stream): SplitMix64.</summary>
    internal double Draw(ulong call, ulong stream)
    {
        var z = unchecked(((ulong)(uint)options.FaultSeed << 32) ^ (call * 0x9E3779B97F4A7C15UL) ^ (stream * 0xBF58476D1CE4E5B9UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
