using Gateway.Cluster;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster;

/// <summary>
/// The refresh ring as the replicas run it: the census in a real Redis names every replica to every other, so each
/// job has exactly one owner among them; with Redis gone, each replica owns every job again, since it can no longer
/// see the others' answers.
/// </summary>
public sealed class ReplicaRingCensusTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public ValueTask InitializeAsync() => new(_redis.StartAsync());

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task ThreeReplicasOnOneRedis_OwnEachJobOnce_AndEveryJobOnceRedisIsGone()
    {
        await using var set = await ReplicaSet.StartAsync(3, _redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Cache:RedisTimeout"] = "00:00:00.200",
        });
        var rings = set.Replicas.Select(static r => r.Services.GetRequiredService<ReplicaRing>()).ToArray();
        var keys = Enumerable.Range(0, 300).Select(static i => $"job:pending-ring-{i}").ToArray();
        await Eventually.Until(() => keys.All(key => rings.Count(r => r.Owns(key)) == 1), TimeSpan.FromSeconds(15),
            "the census names all three replicas to each");
        Assert.All(rings, ring => Assert.InRange(keys.Count(ring.Owns), 60, 140));

        await _redis.StopAsync();
        foreach (var client in set.Clients)
        {
            // A read that needs Redis is what tells a replica it is gone.
            (await client.GetAsync($"/job/done-2k-ring-{Guid.NewGuid():N}", TestContext.Current.CancellationToken)).Dispose();
        }

        await Eventually.Until(() => rings.All(ring => keys.All(ring.Owns)), TimeSpan.FromSeconds(15),
            "a replica without Redis refreshes every job it serves");
    }
}
