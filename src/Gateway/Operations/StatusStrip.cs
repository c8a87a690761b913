using Gateway.Auth;
using Gateway.Redis;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Gateway.Operations;

/// <summary>The status strip, read when the page asks: every part is a field in memory, so it is always current.</summary>
internal sealed class StatusStrip(
    SharedRedis redis, UpstreamCircuit circuit, UpstreamBudget budget, GatewayKeys keys,
    IOptions<GatewayKeyOptions> keyOptions, TimeProvider time)
{
    private static double? Round(double? seconds) => seconds is { } value ? Math.Round(value, 1) : null;

    public OperationsStatus Read(WaitingCounts waiting)
    {
        var now = time.GetUtcNow();
        var warning = keyOptions.Value.ExpiryWarning;
        var expiring = keys.Table.Keys
            .Where(key => !key.Disabled && key.NotAfter is { } notAfter && notAfter - warning <= now)
            .Select(key => new ExpiringKey(key.Team, key.KeyId, key.NotAfter!.Value, key.NotAfter <= now))
            .OrderBy(static key => key.NotAfter)
            .ToArray();
        return new OperationsStatus(
            !redis.IsConfigured ? "none" : redis.IsReachable ? "up" : "degraded",
            circuit.State.CircuitState switch
            {
                CircuitState.Open => "open",
                CircuitState.HalfOpen => "half-open",
                CircuitState.Isolated => "isolated",
                _ => "closed",
            },
            circuit.IsOpen ? Math.Round(circuit.RemainingBreak.TotalSeconds, 1) : null,
            budget.Replicas,
            waiting.JobsWatched,
            waiting.CallersWaiting,
            waiting.RefreshesQueued,
            waiting.StaleAges.Sum(),
            Round(RecentStaleAnswers.Quantile(0.5, waiting.StaleAges)),
            Round(RecentStaleAnswers.Quantile(0.99, waiting.StaleAges)),
            expiring);
    }
}
