using Gateway.Caching;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>A cache outage degrades the gateway but never makes it unready: it still answers every request.</summary>
internal sealed class CacheHealthCheck(ResponseCache cache, CacheDescription description) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(cache.IsAvailable
            ? HealthCheckResult.Healthy(description.Text)
            : HealthCheckResult.Degraded(description.Text + " is unavailable; serving from the upstream until it answers again"));
}
