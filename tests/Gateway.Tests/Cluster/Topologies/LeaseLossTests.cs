using System.Net;
using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Cluster.Topologies;

/// <summary>
/// A fetch lease written just before a failover may never reach the replica that takes over (replication is
/// asynchronous), so a second replica can be granted the same lease. That costs one extra upstream read, never a
/// wrong or mixed answer: both holders read the same terminal bytes, and the stored entry is one whole value.
/// </summary>
[Collection(RedisClusterTests.Name)]
public sealed class LeaseLossTests(RedisClusterServer cluster)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ALeaseLostWhileItsHolderFetches_CostsOneExtraUpstreamRead_AndEveryoneGetsTheSameBody()
    {
        await using var set = await ReplicaSet.StartAsync(3, cluster.ConnectionString);
        var id = "done-64k-" + Guid.NewGuid().ToString("N");
        var gate = set.Upstream.Script.Hold(id);

        var holder = ReadAsync(set.Clients[0], id);
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        var waiters = Enumerable.Range(0, 10).Select(_ => ReadAsync(set.Clients[1], id)).ToArray();
        await Eventually.Until(() => set.Replicas[1].Services.GetRequiredService<JobReader>().Waiting == 10);

        // What a failover that lost the last write does to the lease: it is simply not there any more.
        var lease = LeaseKey(set.Replicas[0], id);
        Assert.Equal(1L, await (await cluster.PrimaryForAsync(lease)).SendAsync("DEL", lease));
        await gate.WhenWaiting(2, TimeSpan.FromSeconds(10));
        gate.Release();

        var results = await Task.WhenAll([holder, .. waiters]);
        var later = await Task.WhenAll(set.Clients.Select(client => ReadAsync(client, id)));

        Assert.Equal(2, set.Upstream.Requests.CountForJob(id));
        Assert.All(results.Concat(later), r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results.Concat(later), r => Assert.Equal(results[0].Body, r.Body));
        Assert.All(later, r => Assert.Equal("Gateway; hit", r.CacheStatus));
    }

    private static string LeaseKey(GatewayFactory replica, string id) =>
        replica.Services.GetRequiredService<RedisKeys>().Lease(JobLeases.Fetch, id).ToString();

    private static async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)> ReadAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync("/job/" + id, Cancel);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel), response.Header("Cache-Status"));
    }
}
