using System.Net;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster;

/// <summary>Long-polling callers on every replica share one watcher for the whole cluster.</summary>
[Collection(WallClockTests.Name)]
public sealed class ReplicaWaitTests(RedisServer redis)
{
    private const int CallersPerReplica = 20;

    private static readonly Dictionary<string, string?> FastWatch = new()
    {
        ["Jobs:WatchInterval"] = "00:00:00.200",
        ["Jobs:MaxWatchInterval"] = "00:00:00.200",
    };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CallersWaitingOnThreeReplicas_CostAtMostOnePollPerIntervalForTheCluster()
    {
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, FastWatch);
        var id = "after-2s-" + Guid.NewGuid().ToString("N");
        var started = DateTime.UtcNow;

        // Callers arrive on each replica a little after the previous one, so the replicas' watch timers are out of
        // step: without a cluster-wide poll lease their polls would interleave instead of coinciding.
        var waits = new List<Task<(HttpStatusCode Status, string Body)>>();
        foreach (var client in set.Clients)
        {
            waits.AddRange(Enumerable.Range(0, CallersPerReplica).Select(_ => WaitAsync(client, id)));
            await Task.Delay(70, Cancel);
        }

        var results = await Task.WhenAll(waits);
        var elapsed = DateTime.UtcNow - started;

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Contains("\"Completed\"", r.Body, StringComparison.Ordinal));

        // One poll per 200 ms interval for the whole cluster, plus the callers' own first reads (coalesced across
        // replicas); three independent watchers would poll about three times as often.
        var allowed = (int)Math.Ceiling(elapsed / TimeSpan.FromMilliseconds(200)) + 3;
        Assert.InRange(set.Upstream.Requests.CountForJob(id), 1, allowed);
    }

    [Fact]
    public async Task AWatchedJob_IsPolledEveryInterval_NotEveryOtherOne()
    {
        // Out-of-step watches on three replicas share one poll lease: between them the job is polled once per
        // interval, neither more often nor with rounds lost to a lease that outlives its interval (the benchmark saw
        // whole rounds skipped when a timer fired a hair early against Redis's clock; this run rarely catches that,
        // but a lease 20 ms longer than the interval gives 7 polls where this asks for 8 or more).
        // Each watch waits an interval after its previous attempt ends, so a slow poll (a loaded machine, a cold
        // start) stretches the cadence; a 500 ms interval keeps that small next to the interval, where 200 ms lost
        // a third of the rounds on a busy CI runner. Two busy loops on this 2-core machine still left 12 of 12.
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Jobs:WatchInterval"] = "00:00:00.500",
            ["Jobs:MaxWatchInterval"] = "00:00:00.500",
        });
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var started = DateTime.UtcNow;
        var results = await Task.WhenAll(set.Clients.Select(client => WaitAsync(client, id, "wait=6")));
        var intervals = (DateTime.UtcNow - started) / TimeSpan.FromMilliseconds(500);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        // The callers' first read and one poll per interval for the cluster; every other round would give about half.
        Assert.InRange(set.Upstream.Requests.CountForJob(id), (int)Math.Ceiling(intervals * 0.65), (int)intervals + 2);
    }

    [Fact]
    public async Task ACompletionSeenByOneReplica_AnswersTheWaitersOfAllReplicas()
    {
        // Replicas 1 and 2 never poll within the test (their interval is far too long); only replica 0 can.
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Jobs:WatchInterval"] = "00:01:00",
            ["Jobs:MaxWatchInterval"] = "00:01:00",
            ["Jobs:MaxWait"] = "00:00:20",

            // The plain read on replica 0 must reach the upstream, not share the waiters' first Pending answer.
            ["Jobs:PendingFreshness"] = "00:00:00",
        });
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var waits = set.Clients.Skip(1).SelectMany(client => Enumerable.Range(0, CallersPerReplica).Select(_ => WaitAsync(client, id, "wait=20"))).ToArray();
        await Eventually.Until(() => set.Replicas.Skip(1).All(static r => r.Services.GetRequiredService<JobWatcher>().Waiting == CallersPerReplica));

        set.Upstream.Script.Respond(id, 200, "{\"job_id\":\"" + id + "\",\"status\":\"Completed\",\"result\":{}}");
        var started = DateTime.UtcNow;
        using var plain = await set.Clients[0].GetAsync("/job/" + id, Cancel);
        var results = await Task.WhenAll(waits);

        Assert.All(results, r => Assert.Contains("\"Completed\"", r.Body, StringComparison.Ordinal));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "answered by the notice, not by a poll a minute later");
    }

    private static async Task<(HttpStatusCode Status, string Body)> WaitAsync(HttpClient client, string id, string prefer = "wait=10")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        using var response = await client.SendAsync(request, Cancel);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }
}
