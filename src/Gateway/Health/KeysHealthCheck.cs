using Gateway.Auth;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>A refused key change degrades readiness (the operators' change did not take) but the last good keys still serve.</summary>
internal sealed class KeysHealthCheck(GatewayKeys keys) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        // The reasons name teams and key ids, which an unauthenticated probe has no business reading: they are in the log.
        Task.FromResult(keys.ReloadFailure is not null
            ? HealthCheckResult.Degraded("The latest key change was refused and the previous keys stay in force; the gateway's log says why")
            : HealthCheckResult.Healthy($"{keys.Table.Keys.Count} gateway keys in force"));
}
