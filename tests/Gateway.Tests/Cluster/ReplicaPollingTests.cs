using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;
using Gateway.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Plain pollers (no <c>Prefer: wait</c>) on every replica share one running answer per window: one upstream read per
/// window for the cluster, and completion reaches every replica as soon as any of them learns it.
/// </summary>
[Collection(WallClockTests.Name)]
public sealed class ReplicaPollingTests(RedisServer redis)
{
    private const int CallersPerReplica = 30;
    private const string Secret = "direct-webhook-secret-0004";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyPlainPollersOnThreeReplicas_CostOneUpstreamReadPerWindow_ForTheCluster()
    {
        // One clock for the three replicas, moved a whole window at a time: each round is a fresh window.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, time: clock);
        var id = "pending-" + Guid.NewGuid().ToString("N");
        byte[]? sent = null;

        for (var round = 1; round <= 4; round++)
        {
            var reads = set.Clients.SelectMany(client => Enumerable.Range(0, CallersPerReplica).Select(_ => ReadAsync(client, id))).ToArray();
            var results = await Task.WhenAll(reads);

            Assert.Equal(round, set.Upstream.Requests.CountForJob(id));
            Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
            var fetched = Assert.Single(results, r => r.CacheStatus == "Gateway; fwd=uri-miss");
            sent ??= fetched.Body;
            Assert.All(results, r => Assert.Equal(sent, r.Body));
            Assert.All(results.Where(r => r != fetched), r => Assert.StartsWith("Gateway; hit; ttl=", r.CacheStatus, StringComparison.Ordinal));

            clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task ATerminalAnswer_IsNeverFollowedByARunningOne_OnAnyReplica()
    {
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        ScriptRunningThenCompleted(set.Upstream, id, () => Volatile.Read(ref done));

        // Sequential pollers on every replica, back to back, so reads on other replicas straddle the moment one of
        // them learns the job finished.
        var clock = Stopwatch.StartNew();
        var pollers = set.Clients.SelectMany(client => Enumerable.Range(0, 4).Select(_ => PollUntilCompletedAsync(client, id, clock, TimeSpan.Zero))).ToArray();
        await Eventually.Until(() => set.Upstream.Requests.CountForJob(id) >= 2, because: "the window was refreshed at least once");
        Volatile.Write(ref done, true);
        var seen = (await Task.WhenAll(pollers)).SelectMany(static p => p).ToArray();

        var firstCompleted = seen.Where(static r => r.Completed).Min(static r => r.Ended);
        var runningAfter = seen.Where(r => !r.Completed && r.Started > firstCompleted).ToArray();
        Assert.True(runningAfter.Length == 0, $"{runningAfter.Length} running answers began after a Completed one had been served");
        Assert.Contains(seen, static r => !r.Completed);
    }

    [Fact]
    public async Task WithoutAWebhook_EveryPollerSeesCompletion_WithinTheWindowAndItsOwnPollInterval()
    {
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        ScriptRunningThenCompleted(set.Upstream, id, () => Volatile.Read(ref done));
        var interval = TimeSpan.FromMilliseconds(200);
        var clock = Stopwatch.StartNew();
        var pollers = set.Clients.SelectMany(client => Enumerable.Range(0, 10).Select(_ => PollUntilCompletedAsync(client, id, clock, interval))).ToArray();
        await Eventually.Until(() => set.Upstream.Requests.CountForJob(id) >= 2, because: "the window was refreshed at least once");

        var finished = clock.Elapsed;
        Volatile.Write(ref done, true);
        var seen = await Task.WhenAll(pollers);

        // The window (1 s) from the last answer before completion, then one poll interval; the rest is this loaded
        // machine's request time, well under the window that a second window would add.
        var latest = seen.Max(p => p.First(static r => r.Completed).Ended) - finished;
        Assert.InRange(latest, TimeSpan.Zero, TimeSpan.FromSeconds(1) + interval + TimeSpan.FromMilliseconds(600));

        // Fourteen pollers a second for this long would have made many more reads without the window.
        var windows = (int)Math.Ceiling(clock.Elapsed.TotalSeconds);
        Assert.InRange(set.Upstream.Requests.CountForJob(id), 2, windows + 2);
    }

    [Fact]
    public async Task WithTheWebhook_EveryReplicasNextPollSeesCompletion_LongBeforeTheWindowEnds()
    {
        // A window far longer than the test: only the webhook can explain Completed on a replica's next poll.
        await using var set = await StartWithTheWebhookAsync(3);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        ScriptRunningThenCompleted(set.Upstream, id, () => Volatile.Read(ref done));
        foreach (var client in set.Clients)
        {
            Assert.Contains("\"Pending\"", Encoding.UTF8.GetString((await ReadAsync(client, id)).Body), StringComparison.Ordinal);
            Assert.StartsWith("Gateway; hit; ttl=", (await ReadAsync(client, id)).CacheStatus, StringComparison.Ordinal);
        }

        Volatile.Write(ref done, true);
        await NotifyAsync(set.Replicas[0], id);
        // The notified replica's read reached the upstream and its flight (store, notice) has ended.
        var reader = set.Replicas[0].Services.GetRequiredService<JobReader>();
        await Eventually.Until(() => set.Upstream.Requests.CountForJob(id) == 2 && reader.Waiting == 0, because: "the notified replica read the finished job");
        foreach (var client in set.Clients)
        {
            var (status, body, cacheStatus) = await ReadAsync(client, id);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("\"Completed\"", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
            Assert.Equal("Gateway; hit", cacheStatus);
        }

        Assert.Equal(2, set.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task TheWebhooksRead_DoesNotWaitForAnotherReplicasFetchOfTheJob()
    {
        // Another replica holds the job's fetch lease for a minute, as a refresh waiting its turn for the budget would
        // (and then read the job a moment before it finished). Only the webhook's own read can explain Completed here.
        await using var set = await StartWithTheWebhookAsync(2);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        ScriptRunningThenCompleted(set.Upstream, id, () => Volatile.Read(ref done));
        Assert.Contains("\"Pending\"", Encoding.UTF8.GetString((await ReadAsync(set.Clients[0], id)).Body), StringComparison.Ordinal);
        var lease = set.Replicas[0].Services.GetRequiredService<global::Gateway.Redis.RedisKeys>().Lease(global::Gateway.Cluster.JobLeases.Fetch, id);
        await redis.SendAsync("SET", lease.ToString(), "elsewhere", "PX", "60000");

        Volatile.Write(ref done, true);
        await NotifyAsync(set.Replicas[1], id);
        await Eventually.Until(() => set.Upstream.Requests.CountForJob(id) == 2, TimeSpan.FromSeconds(20), "the webhook's read reached the upstream");
        foreach (var client in set.Clients)
        {
            await Eventually.Until(async () => Encoding.UTF8.GetString((await ReadAsync(client, id)).Body).Contains("\"Completed\"", StringComparison.Ordinal),
                because: "every replica answers Completed");
        }

        Assert.Equal(2, set.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ATerminalAnswerThatCannotBeStored_StillEndsTheWindowOnEveryReplica()
    {
        // Its presigned URL expires within Cache:UrlExpiryMargin, so the Completed body is served but never stored:
        // the terminal cache cannot win over the shared Pending answer, only the terminal mark can.
        await using var set = await StartWithTheWebhookAsync(2);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        var signedAt = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        var completed = Encoding.UTF8.GetBytes(
            $$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"pdf_url":"https://bucket.s3.amazonaws.com/a.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={{{signedAt}}}&X-Amz-Expires=5&X-Amz-Signature=abc"}}""");
        set.Upstream.Script.Respond(id, () => new ScriptedResponse(200, Volatile.Read(ref done) ? completed : running));
        await ReadAsync(set.Clients[0], id);
        Assert.StartsWith("Gateway; hit; ttl=", (await ReadAsync(set.Clients[1], id)).CacheStatus, StringComparison.Ordinal);

        Volatile.Write(ref done, true);
        await NotifyAsync(set.Replicas[0], id);
        var answers = set.Replicas[1].Services.GetRequiredService<global::Gateway.Jobs.RunningAnswers>();
        await Eventually.Until(() => set.Upstream.Requests.CountForJob(id) == 2 && answers.GetLocal(id) is null,
            because: "the notified replica read the finished job and the other replica heard of it");

        foreach (var client in set.Clients)
        {
            var (_, body, cacheStatus) = await ReadAsync(client, id);
            Assert.Equal(completed, body);
            Assert.StartsWith("Gateway; fwd=uri-miss", cacheStatus, StringComparison.Ordinal);
        }
    }

    // A window far longer than any of these tests, and the webhook's secret: only the webhook can end a window early.
    private Task<ReplicaSet> StartWithTheWebhookAsync(int replicas) =>
        ReplicaSet.StartAsync(replicas, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Jobs:PendingFreshness"] = "00:00:30",
            ["Webhooks:Secret"] = Secret,
        });

    /// <summary>Reducto's direct webhook for the job, delivered to one replica, which accepts it.</summary>
    private static async Task NotifyAsync(GatewayFactory replica, string id)
    {
        using var notifier = replica.CreateClient(gatewayKey: null);
        using var delivered = await notifier.PostAsync("/webhooks/reducto?secret=" + Secret,
            new StringContent($$"""{"status":"Completed","job_id":"{{id}}"}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
    }

    private static void ScriptRunningThenCompleted(StandInServer upstream, string id, Func<bool> done)
    {
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending","progress":50}""");
        var completed = Encoding.UTF8.GetBytes($$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""");
        upstream.Script.Respond(id, () => new ScriptedResponse(200, done() ? completed : running));
    }

    /// <summary>One caller's polls, each with when it began and ended, until it has seen Completed three times.</summary>
    private static async Task<List<Poll>> PollUntilCompletedAsync(HttpClient client, string id, Stopwatch clock, TimeSpan interval)
    {
        var polls = new List<Poll>();
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
        while (polls.Count(static p => p.Completed) < 3 && clock.Elapsed < deadline)
        {
            var started = clock.Elapsed;
            var (status, body, _) = await ReadAsync(client, id);
            Assert.Equal(HttpStatusCode.OK, status);
            polls.Add(new Poll(started, clock.Elapsed, Encoding.UTF8.GetString(body).Contains("\"Completed\"", StringComparison.Ordinal)));
            if (interval > TimeSpan.Zero)
            {
                // The caller's own polling rhythm, as an SDK loop has: not a wait for the gateway.
                await Task.Delay(interval, Cancel);
            }
        }

        return polls;
    }

    private static async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)> ReadAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync("/job/" + id, Cancel);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel), response.Header("Cache-Status"));
    }

    private sealed record Poll(TimeSpan Started, TimeSpan Ended, bool Completed);
}
