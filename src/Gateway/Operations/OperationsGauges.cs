using System.Diagnostics.Metrics;
using Gateway.Redis;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Operations;

/// <summary>
/// The state the alert rules and the dashboard need beside the counters: Redis, the upstream circuit, the replicas,
/// the configured budget and this replica's recent job-read latency. All observed at scrape time, so they cost the
/// requests nothing.
/// </summary>
internal sealed class OperationsGauges
{
    private static readonly double[] Quantiles = [0.5, 0.99];

    public OperationsGauges(
        IMeterFactory meters, SharedRedis redis, UpstreamCircuit circuit, UpstreamBudget budget,
        IOptions<UpstreamOptions> upstream, LatencyLedger latency, TimeProvider time)
    {
        var meter = meters.Create(GatewayMetrics.MeterName);

        // Not listed without Redis: "none" is neither up nor down, and an alert on 0 must not fire for it.
        meter.CreateObservableGauge("gateway.redis.up", () => redis.IsConfigured ? new[] { new Measurement<int>(redis.IsReachable ? 1 : 0) } : [],
            description: "1 while Redis answers, 0 while the gateway serves without it; not listed when no Redis is configured");
        meter.CreateObservableGauge("gateway.upstream.circuit.open", () => circuit.IsOpen ? 1 : 0,
            description: "1 while the upstream circuit is open (job reads get 503 at once), else 0");
        meter.CreateObservableGauge("gateway.replicas", () => budget.Replicas, "{replica}",
            "Replicas sharing this deployment's Redis and upstream budget, as this replica last counted them");
        meter.CreateObservableGauge("gateway.upstream.budget", () => new[]
        {
            new Measurement<int>(upstream.Value.JobPollsPerSecond, new KeyValuePair<string, object?>("limit", "job_polls")),
            new Measurement<int>(upstream.Value.RequestsPerSecond, new KeyValuePair<string, object?>("limit", "requests")),
        }, description: "The deployment's configured upstream rates per second (Upstream:JobPollsPerSecond, Upstream:RequestsPerSecond)");
        meter.CreateObservableGauge("gateway.job.latency", () => Latency(latency, time), "s",
            "This replica's job-read latency over the last one to two minutes, by cache (hit: answered without Reducto) and quantile");
    }

    private static IEnumerable<Measurement<double>> Latency(LatencyLedger latency, TimeProvider time)
    {
        var recent = latency.Recent(time.GetUtcNow().ToUnixTimeSeconds() / 60);
        foreach (var (cache, histogram) in new[] { ("hit", recent.Hits), ("miss", recent.Misses) })
        {
            foreach (var quantile in Quantiles)
            {
                if (LatencyBuckets.Percentile(histogram, quantile) is { } ms)
                {
                    yield return new Measurement<double>(ms / 1000, new("cache", cache), new("quantile", quantile));
                }
            }
        }
    }
}
