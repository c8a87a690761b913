using System.Net;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster;

/// <summary>Without Redis the replicas cannot coordinate; each falls back to its own single flight and keeps answering.</summary>
public sealed class ReplicaOutageTests : IAsyncLifetime
{
    private const int CallersPerReplica = 20;
    private readonly RedisServer _redis = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => new(_redis.StartAsync());

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task WithRedisDown_EachReplicaCoalescesWithinItself_AndCoordinationResumesWhenRedisIsBack()
    {
        await using var set = await ReplicaSet.StartAsync(2, _redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Cache:RedisTimeout"] = "00:00:00.200",
        });
        await _redis.StopAsync();

        var during = "done-" + Guid.NewGuid().ToString("N");
        var results = await ReadConcurrentlyWhileUpstreamHoldsAsync(set, during);
        Assert.All(results, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(2, set.Upstream.Requests.CountForJob(during));

        await _redis.StartAsync();
        await Eventually.Until(
            () => set.Replicas.All(static r => r.Services.GetRequiredService<Gateway.Caching.ResponseCache>().IsAvailable) &&
                  set.Replicas.All(static r => r.Logs.GetSnapshot().Any(static l => l.Id.Name == "CacheRecovered")),
            TimeSpan.FromSeconds(30), "both replicas use Redis again");

        // A running job is never stored: the waiting replica learns the answer only from the holder's notice, so this
        // also proves the notice channel was re-joined after the outage.
        var after = "pending-" + Guid.NewGuid().ToString("N");
        results = await ReadConcurrentlyWhileUpstreamHoldsAsync(set, after);
        Assert.All(results, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, set.Upstream.Requests.CountForJob(after));
    }

    private static async Task<HttpStatusCode[]> ReadConcurrentlyWhileUpstreamHoldsAsync(ReplicaSet set, string id)
    {
        var gate = set.Upstream.Script.Hold(id);
        var reads = set.Clients.SelectMany(client => Enumerable.Range(0, CallersPerReplica).Select(async _ =>
        {
            using var response = await client.GetAsync("/job/" + id, Cancel);
            return response.StatusCode;
        })).ToArray();
        await Eventually.Until(() => set.Replicas.All(static r => r.Services.GetRequiredService<JobReader>().Waiting >= CallersPerReplica));
        gate.Release();
        return await Task.WhenAll(reads);
    }
}
