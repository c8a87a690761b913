using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Gateway.Caching;
using Gateway.Jobs;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Reducto.StandIn;

namespace Gateway.Tests.Direct;

/// <summary>
/// A running job's shared answer given on the direct path, below Kestrel's HTTP layer, by replicas on real sockets
/// sharing one Redis: never after any replica has answered the job Completed (even one whose notice never came),
/// never to a team that may not read the job, and counted as a shared answer.
/// </summary>
[Collection(WallClockTests.Name)]
public sealed class DirectRunningAnswerTests(RedisServer redis)
{
    private const string Secret = "direct-running-webhook-secret-01";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> NoLease = new() { ["Jobs:RunningAnswerLease"] = "00:00:00" };

    [Fact]
    public async Task ACompletionAnotherReplicaAnswered_WhoseNoticeNeverCame_EndsTheDirectRunningAnswer()
    {
        // The Completed body is over a notice's 1 MiB and its presigned URL expires too soon to be stored: the replica
        // that reads it tells nobody, and leaves only the terminal mark in Redis. A 30 s window would otherwise keep the
        // other replica answering Pending for the rest of the test. Without leases, so that nothing but the look can
        // end it (a lease's holder hears the revoke: RunningAnswerLeaseTests).
        await using var replicas = await Replicas.StartAsync(redis, 2, NoLease);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        var signedAt = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        var completed = Encoding.UTF8.GetBytes(
            $$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"pdf_url":"https://bucket.s3.amazonaws.com/a.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={{{signedAt}}}&X-Amz-Expires=5&X-Amz-Signature=abc","text":"{{{new string('x', 1_200_000)}}}"}}""");
        replicas.Upstream.Script.Respond(id, () => new ScriptedResponse(200, Volatile.Read(ref done) ? completed : running));

        await using var polling = await replicas[1].ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));
        var directBefore = replicas.DirectAnswers(1);
        await polling.ReadSharedAsync(request, running, times: 3);

        await replicas.DirectAnswersReachAsync(1, directBefore + 3);

        Volatile.Write(ref done, true);
        await replicas.NotifyAsync(0, id);
        var reader = replicas[0].Factory.Services.GetRequiredService<JobReader>();
        await Eventually.Until(() => replicas.Upstream.Requests.CountForJob(id) == 2 && reader.Waiting == 0, because: "the notified replica read the finished job");
        using (var told = replicas[0].Factory.CreateClient(GatewayFactory.TeamAKey))
        {
            using var first = await told.GetAsync("/job/" + id, Cancel);
            Assert.Equal(completed, await first.Content.ReadAsByteArrayAsync(Cancel));
        }

        // The polling replica heard nothing, and its own answer's window has most of 30 s to run.
        Assert.NotNull(replicas[1].Factory.Services.GetRequiredService<RunningAnswers>().GetLocal(id));
        await polling.SendAsync(request);
        var after = await polling.ReadResponseAsync();
        Assert.Equal(HttpStatusCode.OK, (HttpStatusCode)after.Status);
        Assert.Equal(completed, after.Body);
        Assert.Equal(3, replicas.DirectAnswers(1) - directBefore);
    }

    [Fact]
    public async Task AJobStoredTerminalInRedis_IsNotAnsweredRunning_ThoughTheMarkIsMissing()
    {
        // As Redis is left when a replica stored the Completed job and its terminal mark was lost (a failover between
        // the two writes, and the revoke with them): the stored entry alone is enough to end the direct answer at the
        // next look, which without leases is the next read's.
        await using var replicas = await Replicas.StartAsync(redis, 1, NoLease);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        var completed = Encoding.UTF8.GetBytes($$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""");
        replicas.Upstream.Script.Respond(id, 200, running);

        await using var polling = await replicas[0].ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request, request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));
        Assert.StartsWith("Gateway; hit; ttl=", (await polling.ReadResponseAsync()).Header("Cache-Status"), StringComparison.Ordinal);

        var services = replicas[0].Factory.Services;
        var entry = CachedResponse.Create("application/json", CachedResponse.ComputeETag(completed), completed, DateTimeOffset.UtcNow.AddHours(1), owner: null);
        await services.GetRequiredService<SharedRedis>().Store!.SetAsync(services.GetRequiredService<RedisKeys>().ForJob(id), entry.Serialize(), new() { AbsoluteExpiration = entry.ExpiresAt }, Cancel);

        await polling.SendAsync(request);
        var after = await polling.ReadResponseAsync();
        Assert.Equal("Gateway; hit", after.Header("Cache-Status"));
        Assert.Equal(completed, after.Body);
        Assert.Equal(1, replicas.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ATerminalAnswer_IsNeverFollowedByARunningOne_OnEitherReplicasDirectPath()
    {
        // Pollers on keep-alive sockets, back to back on both replicas, so their running answers are direct ones and
        // straddle the moment the webhook's read learns the job finished.
        await using var replicas = await Replicas.StartAsync(redis, 2);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending","progress":50}""");
        var completed = Encoding.UTF8.GetBytes($$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""");
        replicas.Upstream.Script.Respond(id, () => new ScriptedResponse(200, Volatile.Read(ref done) ? completed : running));
        var clock = Stopwatch.StartNew();
        var directBefore = replicas.DirectAnswers(0) + replicas.DirectAnswers(1);
        var pollers = Enumerable.Range(0, 6).Select(i => PollUntilCompletedAsync(replicas[i % 2], id, clock)).ToArray();
        await Eventually.Until(() => replicas.DirectAnswers(0) + replicas.DirectAnswers(1) - directBefore >= 200, because: "the pollers were answered directly");

        Volatile.Write(ref done, true);
        await replicas.NotifyAsync(0, id);
        var seen = (await Task.WhenAll(pollers)).SelectMany(static p => p).ToArray();

        var firstCompleted = seen.Where(static r => r.Completed).Min(static r => r.Ended);
        var runningAfter = seen.Where(r => !r.Completed && r.Started > firstCompleted).ToArray();
        Assert.True(runningAfter.Length == 0, $"{runningAfter.Length} running answers began after a Completed one had been served");
        Assert.Equal(2, replicas.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AnotherTeamsRunningJob_IsAnsweredAsUnknown_OnBothReplicas_EveryWayItAsks_WithRedisUpAndStopped()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var replicas = await Replicas.StartAsync(ownRedis, 2, new Dictionary<string, string?> { ["Jobs:UnownedJobs"] = null });
        using var creator = replicas[0].Factory.CreateClient(GatewayFactory.TeamAKey);
        using var created = await creator.PostAsync("/parse_async", new StringContent("""{"input":"https://example.com/a.pdf"}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var id = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("job_id").GetString()!;

        // Team A's running answer is in both replicas' memory, with its owner, and given to A on the direct path.
        var mine = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        for (var i = 0; i < 2; i++)
        {
            await using var owner = await replicas[i].ConnectAsync();
            var directBefore = replicas.DirectAnswers(i);
            await owner.SendAsync(mine, mine);
            Assert.Contains("\"Pending\"", Encoding.UTF8.GetString((await owner.ReadResponseAsync()).Body), StringComparison.Ordinal);
            Assert.StartsWith("Gateway; hit; ttl=", (await owner.ReadResponseAsync()).Header("Cache-Status"), StringComparison.Ordinal);

            // A direct answer is counted just after it is sent; a HEAD, which only the pipeline answers, comes after
            // the count on the same connection. Replica 1 may hold the answer from replica 0's notice already, and
            // give both reads directly.
            await owner.SendAsync(WireConnection.Request("HEAD", "/job/" + id, GatewayFactory.TeamAKey));
            Assert.Equal(200, (await owner.ReadResponseAsync(head: true)).Status);
            Assert.InRange(replicas.DirectAnswers(i) - directBefore, 1, 2);
        }

        var reads = replicas.Upstream.Requests.CountForJob(id);
        var direct = (replicas.DirectAnswers(0), replicas.DirectAnswers(1));
        foreach (var redisState in new[] { "up", "stopped" })
        {
            if (redisState == "stopped")
            {
                await ownRedis.StopAsync();
            }

            for (var i = 0; i < 2; i++)
            {
                // One keep-alive connection per replica, as a poller holds it: a plain read, HEAD, a conditional and a waiting one.
                await using var other = await replicas[i].ConnectAsync();
                var asks = new (string Request, bool Head)[]
                {
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey), false),
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey), false),
                    (WireConnection.Request("HEAD", "/job/" + id, GatewayFactory.TeamBKey), true),
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey, "If-None-Match: *"), false),
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey, "Prefer: wait=1"), false),
                };
                foreach (var (request, head) in asks)
                {
                    await other.SendAsync(request);
                    var answer = await other.ReadResponseAsync(head);
                    Assert.True(answer.Status == 404, $"Redis {redisState}, replica {i}, {request.Split('\r')[0]}: {answer.Status}");
                    Assert.DoesNotContain("Pending", Encoding.UTF8.GetString(answer.Body), StringComparison.Ordinal);
                    Assert.Null(answer.Header("Age"));
                }
            }
        }

        Assert.Equal(direct, (replicas.DirectAnswers(0), replicas.DirectAnswers(1)));
        Assert.Equal(reads, replicas.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task WithRedisStopped_TheReplicaAnswersWhatItKnows_AndAFinishHeardHereEndsIt()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var replicas = await Replicas.StartAsync(ownRedis, 1);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        var completed = Encoding.UTF8.GetBytes($$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""");
        replicas.Upstream.Script.Respond(id, () => new ScriptedResponse(200, Volatile.Read(ref done) ? completed : running));
        await using var polling = await replicas[0].ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));

        await ownRedis.StopAsync();
        var directBefore = replicas.DirectAnswers(0);
        await polling.ReadSharedAsync(request, running, times: 5);

        // The first look failed and left its read to the pipeline; the breaker then stops looking.
        await Eventually.Until(() => replicas.DirectAnswers(0) - directBefore >= 4, because: "the answers after the first were direct");
        Assert.Equal(1, replicas.Upstream.Requests.CountForJob(id));

        Volatile.Write(ref done, true);
        await replicas.NotifyAsync(0, id);
        await Eventually.Until(() => replicas.Upstream.Requests.CountForJob(id) == 2, because: "the webhook's read reached the upstream");
        await Eventually.Until(async () =>
        {
            await polling.SendAsync(request);
            return (await polling.ReadResponseAsync()).Body.SequenceEqual(completed);
        }, because: "the finished job is answered");
        for (var i = 0; i < 3; i++)
        {
            await polling.SendAsync(request);
            Assert.Equal(completed, (await polling.ReadResponseAsync()).Body);
        }
    }

    /// <summary>One caller's polls on one keep-alive connection, each with when it began and ended, until it has seen Completed three times.</summary>
    private static async Task<List<Poll>> PollUntilCompletedAsync(GatewayHost replica, string id, Stopwatch clock)
    {
        await using var connection = await replica.ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        var polls = new List<Poll>();
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
        while (polls.Count(static p => p.Completed) < 3 && clock.Elapsed < deadline)
        {
            var started = clock.Elapsed;
            await connection.SendAsync(request);
            var answer = await connection.ReadResponseAsync();
            Assert.Equal(200, answer.Status);
            polls.Add(new Poll(started, clock.Elapsed, Encoding.UTF8.GetString(answer.Body).Contains("\"Completed\"", StringComparison.Ordinal)));
        }

        return polls;
    }

    private sealed record Poll(TimeSpan Started, TimeSpan Ended, bool Completed);

    /// <summary>Gateways on real sockets sharing one Redis keyspace and one stand-in, with a 30 s running window.</summary>
    private sealed class Replicas : IAsyncDisposable
    {
        private readonly GatewayHost[] _hosts;
        private readonly MetricCollector<long>[] _direct;

        private Replicas(StandInServer upstream, GatewayHost[] hosts)
        {
            Upstream = upstream;
            _hosts = hosts;
            _direct = [.. hosts.Select(static h => new MetricCollector<long>(
                h.Factory.Services.GetRequiredService<IMeterFactory>(), global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.direct.hits"))];
        }

        public StandInServer Upstream { get; }

        public GatewayHost this[int index] => _hosts[index];

        public static async Task<Replicas> StartAsync(RedisServer redis, int count, IReadOnlyDictionary<string, string?>? extra = null)
        {
            var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
            var settings = new Dictionary<string, string?>
            {
                ["Cache:InstanceName"] = "direct-running-" + Guid.NewGuid().ToString("N")[..12] + ":",
                ["Jobs:PendingFreshness"] = "00:00:30",
                ["Webhooks:Secret"] = Secret,
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                settings[key] = value;
            }

            var hosts = Enumerable.Range(0, count).Select(_ => GatewayHost.Start(upstream, settings, redis: redis.ConnectionString)).ToArray();
            await Eventually.Until(() => hosts.All(static h => h.Factory.Logs.GetSnapshot().Any(static l => l.Id.Name == "JoinedReplicas")),
                because: "every replica subscribes to job notices");
            return new Replicas(upstream, hosts);
        }

        /// <summary>Answers the replica gave on its direct path so far (hits and shared running answers).</summary>
        public long DirectAnswers(int index) => _direct[index].GetMeasurementSnapshot().Sum(static m => m.Value);

        /// <summary>
        /// Waits until the replica has counted <paramref name="count"/> direct answers: a direct answer is counted just
        /// after it is sent, so the caller may read it first.
        /// </summary>
        public async Task DirectAnswersReachAsync(int index, long count)
        {
            await Eventually.Until(() => DirectAnswers(index) >= count, because: "the direct answers were counted");
            Assert.Equal(count, DirectAnswers(index));
        }

        /// <summary>Reducto's direct webhook for the job, delivered to one replica.</summary>
        public async Task NotifyAsync(int index, string id)
        {
            using var notifier = _hosts[index].Factory.CreateClient(gatewayKey: null);
            using var delivered = await notifier.PostAsync("/webhooks/reducto?secret=" + Secret,
                new StringContent($$"""{"status":"Completed","job_id":"{{id}}"}""", Encoding.UTF8, "application/json"), Cancel);
            Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var collector in _direct)
            {
                collector.Dispose();
            }

            foreach (var host in _hosts)
            {
                await host.DisposeAsync();
            }

            await Upstream.DisposeAsync();
        }
    }
}
