using Gateway.Upstream;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>
/// An open upstream circuit degrades the gateway but keeps it ready: cached jobs are still served, and taking every
/// replica out of rotation because the vendor is down would turn a partial outage into a total one.
/// </summary>
internal sealed class UpstreamHealthCheck(UpstreamCircuit circuit) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(circuit.IsOpen
            ? HealthCheckResult.Degraded($"upstream circuit open; calls resume in {circuit.RemainingBreak.TotalSeconds:0.#} s")
            : HealthCheckResult.Healthy("upstream circuit " + circuit.State.CircuitState.ToString().ToLowerInvariant()));
}
