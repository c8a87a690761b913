using Gateway.Operations;
using Gateway.Telemetry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The operations page's stale answers: the last minute's count and the p50 and p99 of their age, read from every
/// replica's buckets added together, as Prometheus reads <c>gateway_stale_answer_age_seconds</c>.
/// </summary>
public sealed class RecentStaleAnswersTests(RedisServer redis)
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Ages_AreCountedForAMinute_ThenForgotten()
    {
        var recent = new RecentStaleAnswers(_clock);
        recent.Record(TimeSpan.FromSeconds(4));
        _clock.Advance(TimeSpan.FromSeconds(30));
        recent.Record(TimeSpan.FromSeconds(100));
        Assert.Equal(2, recent.LastMinute().Sum());

        _clock.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(1, recent.LastMinute().Sum());
        _clock.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(0, recent.LastMinute().Sum());
    }

    [Fact]
    public void Quantiles_InterpolateWithinTheBucket_AsPrometheusDoes()
    {
        var recent = new RecentStaleAnswers(_clock);
        for (var i = 0; i < 98; i++)
        {
            recent.Record(TimeSpan.FromSeconds(12));  // the (10, 15] bucket
        }

        recent.Record(TimeSpan.FromSeconds(250));     // (180, 300]
        recent.Record(TimeSpan.FromSeconds(400));     // past the last bound

        var buckets = recent.LastMinute();
        Assert.Equal(10 + 5 * 50 / 98.0, RecentStaleAnswers.Quantile(0.5, buckets)!.Value, 6);
        Assert.Equal(180 + 120 * 1.0, RecentStaleAnswers.Quantile(0.99, buckets)!.Value, 6);
        Assert.Null(RecentStaleAnswers.Quantile(0.5, new long[RecentStaleAnswers.Bounds.Length + 1]));
    }

    [Fact]
    public async Task EveryReplicasCounts_AreAddedBucketByBucket_ThroughRedis()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, time: _clock);
        var shares = set.Replicas.Select(static r => r.Services.GetRequiredService<ReplicaActivity>()).ToArray();

        // Into the counts each replica's sampler shares too, so its own writes, whenever they land, say the same.
        var young = set.Replicas[0].Services.GetRequiredService<GatewayMetrics>().RecentStale;
        var old = set.Replicas[1].Services.GetRequiredService<GatewayMetrics>().RecentStale;
        for (var i = 0; i < 3; i++)
        {
            young.Record(TimeSpan.FromSeconds(1));
        }

        old.Record(TimeSpan.FromSeconds(100));

        await shares[0].ShareAsync(new WaitingCounts(0, 0, 0, young.LastMinute()));
        var both = (await shares[1].ShareAsync(new WaitingCounts(0, 0, 0, old.LastMinute())))!.Value;

        Assert.Equal(4, both.StaleAges.Sum());
        Assert.Equal(3, both.StaleAges[Array.IndexOf(RecentStaleAnswers.Bounds, 1.0)]);
        Assert.Equal(1, both.StaleAges[Array.IndexOf(RecentStaleAnswers.Bounds, 120.0)]);
        Assert.InRange(RecentStaleAnswers.Quantile(0.99, both.StaleAges)!.Value, 60, 120);
        Assert.InRange(RecentStaleAnswers.Quantile(0.5, both.StaleAges)!.Value, 0.5, 1);
    }
}
