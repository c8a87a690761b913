using System.Diagnostics;
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
/// Job notices on Redis Cluster go out on sharded pub/sub, spread over several channels, and pub/sub's at-most-once
/// delivery costs latency, never an answer: a replica that hears nothing still answers its callers.
/// </summary>
[Collection(RedisClusterTests.Name)]
public sealed class ClusterNoticeTests(RedisClusterServer cluster)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static ITestOutputHelper Output => TestContext.Current.TestOutputHelper!;

    [Fact]
    public async Task OnRedisCluster_NoticesUseShardedChannels_SpreadOverThePrimaries()
    {
        await using var set = await ReplicaSet.StartAsync(3, cluster.ConnectionString);
        var channels = Notices(set.Replicas[0]).ChosenChannels!;
        Assert.True(channels.Sharded);
        Assert.Equal(NoticeChannels.ShardCount, channels.All.Count);

        // Every replica is subscribed to every shard channel, on the primary that owns its slot; nobody on the classic one.
        var owners = new HashSet<int>();
        foreach (var channel in channels.All)
        {
            var name = channel.ToString();
            var owner = await cluster.PrimaryForAsync(name);
            owners.Add(owner.Port);
            var counts = (object?[])(await owner.SendAsync("PUBSUB", "SHARDNUMSUB", name))!;
            Assert.Equal(3L, counts[1]);
        }

        Assert.True(owners.Count > 1, "the channels land on more than one primary");
        var classic = Keys(set.Replicas[0]).NoticeChannel.ToString();
        foreach (var node in cluster.All)
        {
            Assert.Equal(0L, ((object?[])(await node.SendAsync("PUBSUB", "NUMSUB", classic))!)[1]);
        }

        // And the notices do travel on them: a purge on one replica empties the others' memory tiers.
        var id = "done-" + Guid.NewGuid().ToString("N");
        await set.Clients[1].GetAsync("/job/" + id, Cancel);
        await Notices(set.Replicas[0]).PublishAsync(JobNotice.Evicted(id));
        await Eventually.Until(() => Memory(set.Replicas[1]).Get(Keys(set.Replicas[1]).ForJob(id), DateTimeOffset.UtcNow) is null, because: "the eviction notice arrives");
    }

    [Fact]
    public async Task AReplicaThatHearsNoNotices_StillAnswersItsCoalescedReaders_FromTheStoredAnswer()
    {
        await using var set = await ReplicaSet.StartAsync(2, cluster.ConnectionString);
        var id = "done-" + Guid.NewGuid().ToString("N");
        var gate = set.Upstream.Script.Hold(id);

        // Replica 1 loses its subscriptions, as it does while they are restored after a failover.
        await (await set.Replicas[1].Services.GetRequiredService<SharedRedis>().ConnectAsync()).GetSubscriber().UnsubscribeAllAsync();

        var holder = ReadAsync(set.Clients[0], id);
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        var reader = ReadAsync(set.Clients[1], id);
        await Eventually.Until(() => set.Replicas[1].Services.GetRequiredService<JobReader>().Waiting == 1);
        var released = Stopwatch.StartNew();
        gate.Release();
        var (held, read) = (await holder, await reader);
        Output.WriteLine($"answered {released.ElapsedMilliseconds} ms after the holder's upstream answer, without its notice");

        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(held.Body, read.Body);
        Assert.Equal("Gateway; hit; collapsed", read.CacheStatus);
        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));
        Assert.True(released.Elapsed < TimeSpan.FromSeconds(3), "one lease recheck, not a lease lapse");
    }

    [Fact]
    public async Task AfterTheShardsPrimaryIsKilled_ItsNoticesAreHeardAgain()
    {
        await using var set = await ReplicaSet.StartAsync(2, cluster.ConnectionString);
        var channels = Notices(set.Replicas[0]).ChosenChannels!;
        var id = "done-" + Guid.NewGuid().ToString("N");
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = Notices(set.Replicas[1]).Subscribe(id, _ => heard.TrySetResult());

        try
        {
            var clock = Stopwatch.StartNew();
            var promoted = await cluster.KillPrimaryAsync(channels.For(id).ToString());

            // Published again and again until replica 1 hears one: each lost one is what a failover costs.
            while (!heard.Task.IsCompleted)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the shard's notices are heard again within 30 s");
                await Notices(set.Replicas[0]).PublishAsync(JobNotice.Evicted(id));
                await Task.WhenAny(heard.Task, Task.Delay(100, Cancel));
            }

            Output.WriteLine($"replica promoted after {promoted.TotalMilliseconds:F0} ms; notices heard again after {clock.Elapsed.TotalMilliseconds:F0} ms");
        }
        finally
        {
            await cluster.RestoreAsync();
        }
    }

    private static JobNotices Notices(GatewayFactory replica) => replica.Services.GetRequiredService<JobNotices>();

    private static RedisKeys Keys(GatewayFactory replica) => replica.Services.GetRequiredService<RedisKeys>();

    private static MemoryTier Memory(GatewayFactory replica) => replica.Services.GetRequiredService<MemoryTier>();

    private static CacheOptions Options(GatewayFactory replica) => replica.Services.GetRequiredService<IOptions<CacheOptions>>().Value;

    private static async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)> ReadAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync("/job/" + id, Cancel);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel), response.Header("Cache-Status"));
    }
}
