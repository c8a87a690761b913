using Polly.CircuitBreaker;

namespace Gateway.Upstream;

/// <summary>
/// The upstream circuit's state, shared by the resilience pipeline (which drives it), readiness (which reports it)
/// and the 503 answer (which tells callers how long to wait).
/// </summary>
internal sealed class UpstreamCircuit(TimeProvider time)
{
    private long _openUntilTicks;

    public CircuitBreakerStateProvider State { get; } = new();

    public bool IsOpen => State.CircuitState is CircuitState.Open or CircuitState.Isolated;

    /// <summary>How long until the circuit lets a trial call through; zero when it is not open.</summary>
    public TimeSpan RemainingBreak
    {
        get
        {
            var remaining = new DateTimeOffset(Interlocked.Read(ref _openUntilTicks), TimeSpan.Zero) - time.GetUtcNow();
            return IsOpen && remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
        }
    }

    internal void Opened(TimeSpan breakDuration) =>
        Interlocked.Exchange(ref _openUntilTicks, (time.GetUtcNow() + breakDuration).UtcTicks);
}
