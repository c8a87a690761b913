using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Operations;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Direct;

/// <summary>
/// A direct hit counts wherever a hit through Kestrel counts: <c>gateway_requests_total</c>,
/// <c>gateway_cache_hits_total</c>, the team's usage report and the hit latency; and, on its own,
/// <c>gateway_direct_hits_total</c>.
/// </summary>
[Collection(ScrapedMetricsTests.Name)]
public sealed class DirectHitCountingTests(DirectHitGateways fixture) : IClassFixture<DirectHitGateways>
{
    private const int Hits = 7;

    [Fact]
    public async Task Hits_OnOneConnection_CountAsRequestsCacheHitsUsageAndHitLatency_OncePerHit()
    {
        var gateway = fixture.Direct;
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        var latency = gateway.Factory.Services.GetRequiredService<LatencyLedger>();
        var missesBefore = Recorded(latency).Misses;
        await using var connection = await gateway.ConnectAsync();
        await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, DirectTeams.CountedKey));
        Assert.Equal("Gateway; fwd=uri-miss; stored", (await connection.ReadResponseAsync()).Header("Cache-Status"));

        // Once the miss is in the latency ledger, so is every earlier read: what changes from here is these hits.
        await Eventually.Until(() => Recorded(latency).Misses > missesBefore, TimeSpan.FromSeconds(20), "the miss's latency recorded");
        var before = await CountsAsync(gateway, DirectTeams.Counted, DirectTeams.CountedKey);
        var hitLatenciesBefore = Recorded(latency).Hits;

        for (var i = 0; i < Hits; i++)
        {
            await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, DirectTeams.CountedKey));
            Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
        }

        await Eventually.Until(async () => (await CountsAsync(gateway, DirectTeams.Counted, DirectTeams.CountedKey)).Requests - before.Requests >= Hits, TimeSpan.FromSeconds(20),
            "the hits counted as requests");
        await Eventually.Until(() => Recorded(latency).Hits - hitLatenciesBefore >= Hits, TimeSpan.FromSeconds(20), "the hits' latency recorded");
        var after = await CountsAsync(gateway, DirectTeams.Counted, DirectTeams.CountedKey);
        Assert.Equal(new Counts(Hits, Hits, Hits, Hits), after - before);
        Assert.Equal(Hits, Recorded(latency).Hits - hitLatenciesBefore);
        Assert.Equal(1, fixture.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task Hits_AreCountedAsDirectHits_WhereDirectHitsAreOn_AndOnlyThere()
    {
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        var directBefore = DirectHits(await ScrapeAsync(fixture.Direct), DirectTeams.Counted);
        var referenceBefore = DirectHits(await ScrapeAsync(fixture.Reference), DirectTeams.CountedReference);
        foreach (var (gateway, key) in new[] { (fixture.Direct, DirectTeams.CountedKey), (fixture.Reference, DirectTeams.CountedReferenceKey) })
        {
            await using var connection = await gateway.ConnectAsync();
            for (var i = 0; i <= Hits; i++)
            {
                await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, key));
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }
        }

        long direct = 0;
        await Eventually.Until(async () => (direct = DirectHits(await ScrapeAsync(fixture.Direct), DirectTeams.Counted) - directBefore) >= Hits,
            TimeSpan.FromSeconds(20), () => $"gateway_direct_hits_total{{team=\"{DirectTeams.Counted}\"}} rose by {direct}, not {Hits}");
        Assert.Equal(Hits, DirectHits(await ScrapeAsync(fixture.Direct), DirectTeams.Counted) - directBefore);
        Assert.Equal(0, DirectHits(await ScrapeAsync(fixture.Reference), DirectTeams.CountedReference) - referenceBefore);
        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
    }

    private static (long Hits, long Misses) Recorded(LatencyLedger latency)
    {
        var minute = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
        var minutes = latency.ReadLocal(minute - LatencyLedger.Minutes + 1, minute);
        return (minutes.Sum(static m => m.Hits.Sum()), minutes.Sum(static m => m.Misses.Sum()));
    }

    private static async Task<Counts> CountsAsync(GatewayHost gateway, string team, string key)
    {
        var metrics = await ScrapeAsync(gateway);
        using var client = gateway.Factory.CreateClient(key);
        using var usage = JsonDocument.Parse(await client.GetStringAsync("/usage", TestContext.Current.CancellationToken));
        var today = usage.RootElement.GetProperty("today");
        return new Counts(
            Value(metrics, "gateway_requests_total", team), Value(metrics, "gateway_cache_hits_total", team),
            today.GetProperty("requests").GetInt64(), today.GetProperty("cacheHits").GetInt64());
    }

    private static long DirectHits(string metrics, string team) => Value(metrics, "gateway_direct_hits_total", team);

    private static async Task<string> ScrapeAsync(GatewayHost gateway)
    {
        using var anonymous = gateway.Factory.CreateClient(gatewayKey: null);
        using var response = await anonymous.GetAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    private static long Value(string metrics, string name, string team) =>
        Regex.Matches(metrics, "^" + Regex.Escape(name) + "\\{([^}]*)\\} ([0-9.eE+]+)", RegexOptions.Multiline)
            .Where(m => m.Groups[1].Value.Contains($"team=\"{team}\"", StringComparison.Ordinal))
            .Sum(m => (long)double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    private readonly record struct Counts(long Requests, long CacheHits, long UsageRequests, long UsageCacheHits)
    {
        public static Counts operator -(Counts a, Counts b) =>
            new(a.Requests - b.Requests, a.CacheHits - b.CacheHits, a.UsageRequests - b.UsageRequests, a.UsageCacheHits - b.UsageCacheHits);
    }
}
