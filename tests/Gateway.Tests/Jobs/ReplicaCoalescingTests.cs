using System.Net;
using Gateway.Caching;
using Gateway.Jobs;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Jobs;

/// <summary>Three replicas on one Redis act as one cache: one upstream request per job, whichever replica is asked.</summary>
public sealed class ReplicaCoalescingTests(RedisServer redis)
{
    private const int CallersPerReplica = 30;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("done-")]
    [InlineData("pending-")]
    public async Task ConcurrentReadsThroughThreeReplicas_ReachTheUpstreamOnce(string prefix)
    {
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString);
        var id = prefix + Guid.NewGuid().ToString("N");
        var gate = set.Upstream.Script.Hold(id);

        var reads = set.Clients.SelectMany(client => Enumerable.Range(0, CallersPerReplica).Select(_ => ReadAsync(client, id))).ToArray();
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));

        // Release only once every caller on every replica is parked: on the holder's flight, or on a flight that
        // waits for the holder's notice.
        await Eventually.Until(() => set.Replicas.All(static r => r.Services.GetRequiredService<JobReader>().Waiting >= CallersPerReplica));
        gate.Release();
        var results = await Task.WhenAll(reads);

        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Equal(results[0].Body, r.Body));
    }

    [Fact]
    public async Task AStoredJob_IsAHitOnEveryReplica()
    {
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString);
        var id = "done-" + Guid.NewGuid().ToString("N");

        foreach (var client in set.Clients)
        {
            await ReadAsync(client, id);
        }

        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AHolderThatNeverAnswers_IsReplacedWhenItsLeaseLapses()
    {
        // Upstream:Timeout 2 s and no budget wait make the fetch lease 3 s.
        var settings = new Dictionary<string, string?> { ["Upstream:Timeout"] = "00:00:02", ["Upstream:BudgetWait"] = "00:00:00" };
        await using var set = await ReplicaSet.StartAsync(1, redis.ConnectionString, settings);
        var id = "done-" + Guid.NewGuid().ToString("N");

        // A replica that took the lease and died: the lease is in Redis, and no notice will ever come.
        var lease = LeaseKey(set.Replicas[0], id);
        Assert.Equal("+OK", await redis.SendAsync("SET", lease, "a-replica-that-died", "PX", "3000", "NX"));

        var started = DateTime.UtcNow;
        var (status, _, _) = await ReadAsync(set.Clients[0], id);
        var waited = DateTime.UtcNow - started;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));
        Assert.InRange(waited, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task PurgingOnOneReplica_DropsTheJobFromEveryReplicasMemory()
    {
        const string adminKey = GatewayFactory.AdminKey;
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, new Dictionary<string, string?> { ["Auth:AdminKey"] = adminKey });
        var id = "done-" + Guid.NewGuid().ToString("N");
        await ReadAsync(set.Clients[0], id);
        await ReadAsync(set.Clients[1], id);
        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));

        using var admin = set.Replicas[0].CreateClient(adminKey);
        using var purged = await admin.DeleteAsync("/admin/cache/jobs/" + id, Cancel);
        Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);

        // Replica 1 held the job in its own memory; the eviction notice must reach it.
        await Eventually.Until(() => set.Replicas[1].Services.GetRequiredService<MemoryTier>().Get(Key(set.Replicas[1], id), DateTimeOffset.UtcNow) is null,
            because: "the other replica forgets the job");
        await ReadAsync(set.Clients[1], id);
        Assert.Equal(2, set.Upstream.Requests.CountForJob(id));
    }

    private static string Key(GatewayFactory replica, string id) => replica.Services.GetRequiredService<RedisKeys>().ForJob(id);

    private static string LeaseKey(GatewayFactory replica, string id) =>
        replica.Services.GetRequiredService<RedisKeys>().Lease("fetch", id).ToString();

    private static async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)> ReadAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync("/job/" + id, Cancel);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel), response.Header("Cache-Status"));
    }
}
