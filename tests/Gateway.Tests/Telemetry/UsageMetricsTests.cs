using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <remarks>
/// Meters are process-wide by name, and other test classes run gateways in this process at the same time, so these
/// tests use team names of their own.
/// </remarks>
[Collection(ScrapedMetricsTests.Name)]
public sealed class UsageMetricsTests : GatewayTest
{
    private const string MetricsA = "metrics-a";
    private const string MetricsB = "metrics-b";
    private const string KeyA = "metrics-team-a-key-0001";
    private const string KeyB = "metrics-team-b-key-0002";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:ClientKeys:" + MetricsA] = KeyA,
        ["Auth:ClientKeys:" + MetricsB] = KeyB,
    };

    [Fact]
    public async Task Metrics_CountRequestsHitsUpstreamCallsAndBytes_PerTeam()
    {
        using var teamA = Gateway.CreateClient(KeyA);
        using var teamB = Gateway.CreateClient(KeyB);
        long bytes = 0;
        for (var i = 0; i < 4; i++)
        {
            using var response = await teamA.GetAsync("/job/done-metrics", Cancel);
            bytes += (await response.Content.ReadAsByteArrayAsync(Cancel)).Length;
        }

        using (await teamB.GetAsync("/job/pending-metrics", Cancel))
        using (await teamB.GetAsync("/version", Cancel))
        {
        }

        var metrics = await ScrapeAsync();

        Assert.Equal(4, Value(metrics, "gateway_requests_total", MetricsA));
        Assert.Equal(3, Value(metrics, "gateway_cache_hits_total", MetricsA));
        Assert.Equal(1, Value(metrics, "gateway_upstream_requests_total", MetricsA));
        Assert.Equal(bytes, Value(metrics, "gateway_bytes_served_bytes_total", MetricsA));
        Assert.Equal(2, Value(metrics, "gateway_requests_total", MetricsB));
        Assert.Equal(2, Value(metrics, "gateway_upstream_requests_total", MetricsB));
        Assert.Equal(0, Value(metrics, "gateway_cache_hits_total", MetricsB));
        Assert.DoesNotContain(KeyA, metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyB, metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_IncludeThePlatformsServerClientAndRuntimeInstruments()
    {
        using var teamA = Gateway.CreateClient(KeyA);
        using (await teamA.GetAsync("/job/pending-platform-metrics", Cancel))
        {
        }

        var metrics = await ScrapeAsync();

        // Requests by route and status, as ASP.NET Core measures them, and the upstream calls as HttpClient does.
        Assert.Matches("(?m)^http_server_request_duration_seconds_count\\{[^}]*http_route=\"/job/\\{job_id\\}\"[^}]*\\} [1-9]", metrics);
        Assert.Matches("(?m)^http_client_request_duration_seconds_count\\{[^}]*\\} [1-9]", metrics);

        // The runtime's own: bytes allocated so far (the benchmark's allocations per request) and the GC heap.
        Assert.Matches("(?m)^dotnet_gc_heap_total_allocated_bytes_total(\\{[^}]*\\})? [1-9]", metrics);
    }

    private Task<string> ScrapeAsync() => ScrapedMetricsTests.ScrapeAsync(Gateway, Cancel);

    private static long Value(string metrics, string name, string team) => ScrapedMetricsTests.Value(metrics, name, team);
}
