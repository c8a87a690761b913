using System.Net;
using System.Text;
using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster.Topologies;

/// <summary>
/// What replicas sharing a Redis promise, checked on the Redis deployments companies run (a Redis Cluster, a primary
/// behind Sentinel) as the rest of the suite checks it on one server: one cache, one upstream read per job, waiters
/// and webhook completions answered on every replica, purges everywhere, one budget split between them.
/// </summary>
public abstract class SharedRedisBehaviour
{
    private const string WebhookSecret = "topology-webhook-secret-0007";
    private const int CallersPerReplica = 20;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The connection string an operator would configure for this deployment.</summary>
    protected abstract string Redis { get; }

    [Fact]
    public async Task ATerminalJob_IsStoredOnce_AndIsAHitOnEveryReplica()
    {
        await using var set = await StartAsync();
        var id = "done-2k-" + Guid.NewGuid().ToString("N");

        var first = await ReadAsync(set.Clients[0], id);
        var others = await Task.WhenAll(set.Clients.Select(client => ReadAsync(client, id)));

        Assert.Equal("Gateway; fwd=uri-miss; stored", first.CacheStatus);
        Assert.All(others, r => Assert.Equal("Gateway; hit", r.CacheStatus));
        Assert.All(others, r => Assert.Equal(first.Body, r.Body));
        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData("done-")]
    [InlineData("pending-")]
    public async Task ConcurrentReadsThroughThreeReplicas_ReachTheUpstreamOnce(string prefix)
    {
        await using var set = await StartAsync();
        var id = prefix + Guid.NewGuid().ToString("N");
        var gate = set.Upstream.Script.Hold(id);

        var reads = set.Clients.SelectMany(client => Enumerable.Range(0, CallersPerReplica).Select(_ => ReadAsync(client, id))).ToArray();
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        await Eventually.Until(() => set.Replicas.All(static r => r.Services.GetRequiredService<JobReader>().Waiting >= CallersPerReplica));
        gate.Release();
        var results = await Task.WhenAll(reads);

        TestContext.Current.TestOutputHelper!.WriteLine(string.Join("\n", results.Select((r, i) => i / CallersPerReplica + " " + r.CacheStatus)));
        Assert.Equal(1, set.Upstream.Requests.CountForJob(id));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Equal(results[0].Body, r.Body));
    }

    [Fact]
    public async Task CallersWaitingOnEveryReplica_AreAllAnsweredWhenTheJobCompletes()
    {
        await using var set = await StartAsync(new() { ["Jobs:WatchInterval"] = "00:00:00.200", ["Jobs:MaxWatchInterval"] = "00:00:00.200" });
        var id = "after-2s-" + Guid.NewGuid().ToString("N");

        var results = await Task.WhenAll(set.Clients.SelectMany(client => Enumerable.Range(0, 5).Select(_ => WaitAsync(client, id, "wait=20"))));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Contains("\"Completed\"", Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWebhookDeliveredToOneReplica_AnswersTheWaitersOfEveryReplica()
    {
        // Watchers poll so rarely that only the webhook, and the notice it sends, can explain a prompt answer.
        await using var set = await StartAsync(new()
        {
            ["Webhooks:Secret"] = WebhookSecret,
            ["Jobs:WatchInterval"] = "00:01:00",
            ["Jobs:MaxWatchInterval"] = "00:01:00",
        });
        var id = "job-" + Guid.NewGuid().ToString("N");
        set.Upstream.Script.Respond(id, 200, $$"""{"job_id":"{{id}}","status":"Pending"}""");
        var waits = set.Clients.SelectMany(client => Enumerable.Range(0, 5).Select(_ => WaitAsync(client, id, "wait=30"))).ToArray();
        await Eventually.Until(() => set.Replicas.All(static r => r.Services.GetRequiredService<JobWatcher>().Waiting == 5), because: "every caller waits");

        set.Upstream.Script.Respond(id, 200, $$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""");
        using var webhook = set.Replicas[0].CreateClient(gatewayKey: null);
        using var delivered = await webhook.PostAsync("/webhooks/reducto?secret=" + WebhookSecret,
            new StringContent($$"""{"status":"Completed","job_id":"{{id}}"}""", Encoding.UTF8, "application/json"), Cancel);
        var results = await Task.WhenAll(waits);

        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        Assert.All(results, r => Assert.Contains("\"Completed\"", Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal));
    }

    [Fact]
    public async Task PurgingOnOneReplica_DropsTheJobEverywhere()
    {
        await using var set = await StartAsync(new() { ["Auth:AdminKey"] = GatewayFactory.AdminKey });
        var id = "done-" + Guid.NewGuid().ToString("N");
        foreach (var client in set.Clients)
        {
            await ReadAsync(client, id);
        }

        using var admin = set.Replicas[0].CreateClient(GatewayFactory.AdminKey);
        using var purged = await admin.DeleteAsync("/admin/cache/jobs/" + id, Cancel);
        Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);

        await Eventually.Until(() => set.Replicas.All(r => r.Services.GetRequiredService<MemoryTier>().Get(r.Services.GetRequiredService<RedisKeys>().ForJob(id), DateTimeOffset.UtcNow) is null),
            because: "every replica forgets the job");
        var again = await ReadAsync(set.Clients[2], id);
        Assert.Equal("Gateway; fwd=uri-miss; stored", again.CacheStatus);
        Assert.Equal(2, set.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ThreeReplicas_SplitTheDeploymentsBudget()
    {
        await using var set = await StartAsync(new() { ["Upstream:JobPollsPerSecond"] = "30", ["Upstream:RequestsPerSecond"] = "90" });

        await Eventually.Until(() => set.Replicas.All(static r => r.Services.GetRequiredService<UpstreamBudget>() is { JobPollsPerSecond: 10, RequestsPerSecond: 30 }),
            TimeSpan.FromSeconds(15), "every replica takes a third of the rates");
    }

    protected async Task<ReplicaSet> StartAsync(Dictionary<string, string?>? settings = null) => await ReplicaSet.StartAsync(3, Redis, settings);

    protected static async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)> ReadAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync("/job/" + id, Cancel);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel), response.Header("Cache-Status"));
    }

    private static async Task<(HttpStatusCode Status, byte[] Body)> WaitAsync(HttpClient client, string id, string prefer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        using var response = await client.SendAsync(request, Cancel);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel));
    }
}

/// <summary>The shared-cache promises on a three-primary, three-replica Redis Cluster.</summary>
[Collection(RedisClusterTests.Name)]
public sealed class OnRedisClusterTests(RedisClusterServer cluster) : SharedRedisBehaviour
{
    protected override string Redis => cluster.ConnectionString;
}

/// <summary>The shared-cache promises on a primary and replica behind three sentinels.</summary>
[Collection(RedisSentinelTests.Name)]
public sealed class OnRedisSentinelTests(RedisSentinelServer sentinel) : SharedRedisBehaviour
{
    protected override string Redis => sentinel.ConnectionString;
}
