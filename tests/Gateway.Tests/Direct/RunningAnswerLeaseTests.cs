using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Ownership;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;
using StackExchange.Redis;

namespace Gateway.Tests.Direct;

/// <summary>
/// Leases on a running job's answer (<c>Jobs:RunningAnswerLease</c>): one Redis look lets the direct path give the
/// answer for a lease without another, and a replica that learns the job finished gives the terminal answer to nobody
/// until every replica registered as holding a lease has said it stopped, or that replica's lease has lapsed.
/// </summary>
public sealed class RunningAnswerLeaseTests(RedisServer redis)
{
    private const string Secret = "running-lease-webhook-secret-01";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneLook_LetsTheDirectPathAnswerForTheLease_AndTheNextLookComesWhenItLapses()
    {
        // A Redis of its own: its command counts are this test's alone.
        await using var own = new RedisServer();
        await own.InitializeAsync();
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = GatewayHost.Start(upstream, Settings(lease: "00:00:01"), clock, own.ConnectionString);
        using var direct = DirectAnswers(host);
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        upstream.Script.Respond(id, 200, running);

        await using var polling = await host.ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));
        var registrations = await CallsAsync(own, "sadd");
        var looks = await CallsAsync(own, "exists");

        await polling.ReadSharedAsync(request, running, times: 20);
        Assert.Equal(registrations + 1, await CallsAsync(own, "sadd"));
        Assert.Equal(looks + 1, await CallsAsync(own, "exists"));

        // A millisecond short of the lease, still none; at its end, the next read looks again.
        clock.Advance(TimeSpan.FromMilliseconds(999));
        await polling.ReadSharedAsync(request, running, times: 5);
        Assert.Equal(registrations + 1, await CallsAsync(own, "sadd"));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await polling.ReadSharedAsync(request, running, times: 5);
        Assert.Equal(registrations + 2, await CallsAsync(own, "sadd"));
        Assert.Equal(looks + 2, await CallsAsync(own, "exists"));

        await Eventually.Until(() => direct.GetMeasurementSnapshot().Sum(static m => m.Value) == 30, because: "all 30 were direct answers");
        Assert.Equal(1, upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AHolderThatNeverSaysItStopped_HoldsBackTheCompletion_UntilItsLeaseLapsed()
    {
        // Two replicas registered as holders, one with a 2 s lease that died, one with a 500 ms lease that answers.
        var (silent, answering) = (Guid.NewGuid(), Guid.NewGuid());
        await using var revoking = await Revoking.StartAsync(redis, (silent, 2000), (answering, 500));
        Assert.Equal(revoking.Host.Factory.Services.GetRequiredService<JobNotices>().Origin, revoking.Revoker);
        Assert.Equal("T", (string?)await revoking.Test.GetDatabase().StringGetAsync(revoking.Keys.Running(revoking.Id)));
        await revoking.ReleaseAsync(answering);

        // The silent holder's lease is the longer, so it is the one waited out, and a little more for the clocks.
        revoking.Clock.Advance(TimeSpan.FromMilliseconds(2000));
        Assert.False(revoking.Ending.IsCompleted);
        revoking.Clock.Advance(TimeSpan.FromMilliseconds(10));
        await revoking.Ending.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Contains(revoking.Host.Factory.Logs.GetSnapshot(), static l => l.Id.Name == "LeaseLapsed");
    }

    [Fact]
    public async Task HoldersThatSayTheyStopped_EndTheWait_WithoutTheirLeasesLapsing()
    {
        // The clock never moves: only the holders' answers can end the wait.
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await using var revoking = await Revoking.StartAsync(redis, (first, 5000), (second, 5000));
        await revoking.ReleaseAsync(first);
        await revoking.ReleaseAsync(second);
        await revoking.Ending.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.DoesNotContain(revoking.Host.Factory.Logs.GetSnapshot(), static l => l.Id.Name == "LeaseLapsed");
    }

    [Fact]
    public async Task AReplicaHoldingALease_StopsWhenAnotherLearnsTheJobFinished_WhichAnswersWithoutWaitingItOut()
    {
        // The notified replica's clock never moves, so its completion can only end by the holder's answer; the
        // holder's lease (5 s) would otherwise keep it answering Pending for the rest of the test.
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var notifiedClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var notified = GatewayHost.Start(upstream, Settings(lease: "00:00:05"), notifiedClock, redis.ConnectionString);
        await using var holder = GatewayHost.Start(upstream, Settings(lease: "00:00:05", instance: Instance(notified)), redis: redis.ConnectionString);
        await Eventually.Until(() => new[] { notified, holder }.All(static h => h.Factory.Logs.GetSnapshot().Any(static l => l.Id.Name == "JoinedReplicas")),
            because: "both replicas subscribe to job notices");
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var done = false;
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        var completed = Encoding.UTF8.GetBytes($$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""");
        upstream.Script.Respond(id, () => new ScriptedResponse(200, Volatile.Read(ref done) ? completed : running));

        await using var polling = await holder.ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));
        await polling.ReadSharedAsync(request, running, times: 3);
        var keys = holder.Factory.Services.GetRequiredService<RedisKeys>();
        await using var test = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.Equal(1, await test.GetDatabase().SetLengthAsync(keys.RunningHolders(id)));

        Volatile.Write(ref done, true);
        using (var notifier = notified.Factory.CreateClient(gatewayKey: null))
        {
            using var delivered = await notifier.PostAsync("/webhooks/reducto?secret=" + Secret,
                new StringContent($$"""{"status":"Completed","job_id":"{{id}}"}""", Encoding.UTF8, "application/json"), Cancel);
            Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        }

        await Eventually.Until(async () => await test.GetDatabase().KeyExistsAsync(keys.StoredJob(id)), because: "the notified replica stored the finished job");
        await polling.SendAsync(request);
        var after = await polling.ReadResponseAsync();
        Assert.Equal(completed, after.Body);
        Assert.Equal(2, upstream.Requests.CountForJob(id));
        Assert.DoesNotContain(notified.Factory.Logs.GetSnapshot(), static l => l.Id.Name == "LeaseLapsed");
    }

    [Fact]
    public async Task AStaleAnswer_IsNotGivenDirectly_OnceRedisHasTheTerminalMark()
    {
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = GatewayHost.Start(upstream, StaleSettings(), clock, redis.ConnectionString);
        using var direct = DirectAnswers(host);
        var id = "pending-" + Guid.NewGuid().ToString("N");
        await using var polling = await host.ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));

        // The window and the lease lapse, and the bucket refills; another job's read takes the slot. Another replica
        // then learns the job finished, and its revoke never comes: only the mark in Redis says so.
        clock.Advance(TimeSpan.FromMilliseconds(3500));
        using (var client = host.Factory.CreateClient(GatewayFactory.TeamAKey))
        {
            using var other = await client.GetAsync("/job/pending-" + Guid.NewGuid().ToString("N"), Cancel);
            Assert.Equal("Gateway; fwd=uri-miss", other.Header("Cache-Status"));
        }

        var keys = host.Factory.Services.GetRequiredService<RedisKeys>();
        await redis.SendAsync("SET", keys.Running(id).ToString(), "T", "PX", "60000");
        Assert.NotNull(host.Factory.Services.GetRequiredService<RunningAnswers>().GetLocalStale(id));

        // The pipeline then reads the job afresh, once a slot comes.
        await polling.SendAsync(request);
        var read = polling.ReadResponseAsync();
        await Eventually.Until(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            return read.IsCompleted;
        });

        Assert.Equal("Gateway; fwd=uri-miss", (await read).Header("Cache-Status"));
        Assert.Equal(0, direct.GetMeasurementSnapshot().Sum(static m => m.Value));
        Assert.Equal(2, upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AnotherTeamsStaleAnswer_IsAnsweredAsUnknown_OnBothReplicas_EveryWayItAsks_WithRedisUpAndStopped_WhileItsOwnerGetsItDirectly()
    {
        await using var ownRedis = new RedisServer();
        await ownRedis.InitializeAsync();
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = StaleSettings();
        settings["Jobs:UnownedJobs"] = null;
        await using var first = GatewayHost.Start(upstream, settings, clock, ownRedis.ConnectionString);
        await using var second = GatewayHost.Start(upstream, settings, clock, ownRedis.ConnectionString);
        GatewayHost[] replicas = [first, second];
        await Eventually.Until(() => replicas.All(static h => h.Factory.Logs.GetSnapshot().Any(static l => l.Id.Name == "JoinedReplicas")),
            because: "both replicas subscribe to job notices");
        var direct = replicas.Select(DirectAnswers).ToArray();

        // Team A's, as if created through another replica: the stand-in's built-in running jobs, recorded as A's. One
        // more job of A's per replica takes that replica's budget slot once the window has lapsed.
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var others = replicas.Select(_ => "pending-" + Guid.NewGuid().ToString("N")).ToArray();
        var ledger = first.Factory.Services.GetRequiredService<OwnershipLedger>();
        foreach (var job in others.Append(id))
        {
            await ledger.RecordAsync(OwnedKind.Job, job, new Owner("team-a", "k", "parse_async", clock.GetUtcNow()));
        }

        var mine = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        var owners = new WireConnection[replicas.Length];
        for (var i = 0; i < replicas.Length; i++)
        {
            owners[i] = await replicas[i].ConnectAsync();
            await owners[i].SendAsync(mine);
            Assert.Equal(200, (await owners[i].ReadResponseAsync()).Status);
        }

        // The window lapses, the buckets refill, and team A's other jobs take the slots: a stale answer is what there is.
        clock.Advance(TimeSpan.FromMilliseconds(3500));
        for (var i = 0; i < replicas.Length; i++)
        {
            using var client = replicas[i].Factory.CreateClient(GatewayFactory.TeamAKey);
            using var taken = await client.GetAsync("/job/" + others[i], Cancel);
            Assert.Equal("Gateway; fwd=uri-miss", taken.Header("Cache-Status"));
            Assert.NotNull(replicas[i].Factory.Services.GetRequiredService<RunningAnswers>().GetLocalStale(id));
        }

        // Team A's first reads may have been direct on the second replica, which held the first's answer by notice.
        var reads = upstream.Requests.CountForJob(id);
        var directBefore = direct.Select(static d => d.GetMeasurementSnapshot().Sum(static m => m.Value)).ToArray();
        foreach (var redisState in new[] { "up", "stopped" })
        {
            if (redisState == "stopped")
            {
                await ownRedis.StopAsync();
            }

            for (var i = 0; i < replicas.Length; i++)
            {
                // One keep-alive connection per replica, as a poller holds it: plain, gzip, HEAD, conditional and waiting.
                await using var stranger = await replicas[i].ConnectAsync();
                var asks = new (string Request, bool Head)[]
                {
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey), false),
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey, "Accept-Encoding: gzip"), false),
                    (WireConnection.Request("HEAD", "/job/" + id, GatewayFactory.TeamBKey), true),
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey, "If-None-Match: *"), false),
                    (WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey, "Prefer: wait=1"), false),
                };
                foreach (var (request, head) in asks)
                {
                    await stranger.SendAsync(request);
                    var refused = await stranger.ReadResponseAsync(head);
                    Assert.True(refused.Status == 404, $"Redis {redisState}, replica {i}, {request.Split('\r')[0]}: {refused.Status}");
                    Assert.DoesNotContain("Pending", Encoding.UTF8.GetString(refused.Body), StringComparison.Ordinal);
                    Assert.Null(refused.Header("Age"));
                }
            }

            if (redisState == "up")
            {
                // Nothing of team B's reached the refreshes: no replica claimed the job's refresh, which a refresh holds
                // while it waits for a slot, and the clock has not moved to give one.
                var claim = first.Factory.Services.GetRequiredService<RedisKeys>().Lease(JobLeases.Refresh, id).ToString();
                Assert.Equal(":0", await ownRedis.SendAsync("EXISTS", claim));
            }
        }

        for (var i = 0; i < replicas.Length; i++)
        {
            var key = replicas[i].Factory.Services.GetRequiredService<RedisKeys>().ForJob(id);
            Assert.False(replicas[i].Factory.Services.GetRequiredService<RefreshQueue>().Holds(key));
            Assert.Equal(directBefore[i], direct[i].GetMeasurementSnapshot().Sum(static m => m.Value));

            // The owner's polls on the same replica, Redis still stopped, are given the stale answer, directly once this
            // replica has found Redis away (a look that fails first leaves its read to the pipeline).
            for (var poll = 0; poll < 2; poll++)
            {
                await owners[i].SendAsync(mine);
                Assert.Equal("Gateway; hit; fwd=stale; ttl=-500", (await owners[i].ReadResponseAsync()).Header("Cache-Status"));
            }

            await Eventually.Until(() => direct[i].GetMeasurementSnapshot().Sum(static m => m.Value) > directBefore[i], because: "the owner's stale answer was direct");
            Assert.True(replicas[i].Factory.Services.GetRequiredService<RefreshQueue>().Holds(key));
            await owners[i].DisposeAsync();
            direct[i].Dispose();
        }

        Assert.Equal(reads, upstream.Requests.CountForJob(id));
    }

    // A 3 s window, answers served stale for 30 s, and two job polls a second: one read empties the bucket.
    private static Dictionary<string, string?> StaleSettings()
    {
        var settings = Settings(lease: "00:00:00.250");
        settings["Jobs:PendingFreshness"] = "00:00:03";
        settings["Jobs:StaleRunningAnswers"] = "00:00:30";
        settings["Upstream:JobPollsPerSecond"] = "2";
        return settings;
    }

    private static MetricCollector<long> DirectAnswers(GatewayHost host) =>
        new(host.Factory.Services.GetRequiredService<IMeterFactory>(), global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.direct.hits");

    private static Dictionary<string, string?> Settings(string lease, string? instance = null) => new()
    {
        ["Cache:InstanceName"] = instance ?? "running-lease-" + Guid.NewGuid().ToString("N")[..12] + ":",
        ["Jobs:PendingFreshness"] = "00:00:30",
        ["Jobs:RunningAnswerLease"] = lease,
        ["Webhooks:Secret"] = Secret,
    };

    private static string Instance(GatewayHost host) =>
        host.Factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RedisOptions>>().Value.InstanceName;

    /// <summary>
    /// One gateway on a fake clock ending a job whose holders the test registered itself (as replicas that registered
    /// and then answer, or not): started, and its revoke heard on the notice channel.
    /// </summary>
    private sealed class Revoking : IAsyncDisposable
    {
        private StandInServer _upstream = null!;

        public GatewayHost Host { get; private set; } = null!;

        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        public RedisKeys Keys { get; private set; } = null!;

        public ConnectionMultiplexer Test { get; private set; } = null!;

        public string Id { get; } = "lease-" + Guid.NewGuid().ToString("N");

        /// <summary>The gateway's <c>EndAsync</c> of the job, under way.</summary>
        public Task Ending { get; private set; } = null!;

        /// <summary>The origin the revoke came from.</summary>
        public Guid Revoker { get; private set; }

        public static async Task<Revoking> StartAsync(RedisServer redis, params (Guid Origin, int LeaseMs)[] holders)
        {
            var revoking = new Revoking { _upstream = await StandInServer.StartAsync(cancellationToken: Cancel) };
            revoking.Host = GatewayHost.Start(revoking._upstream, Settings(lease: "00:00:00.250"), revoking.Clock, redis.ConnectionString);
            revoking.Keys = revoking.Host.Factory.Services.GetRequiredService<RedisKeys>();
            revoking.Test = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
            await revoking.Test.GetDatabase().SetAddAsync(
                revoking.Keys.RunningHolders(revoking.Id), [.. holders.Select(static h => (RedisValue)$"{h.Origin:N}/{h.LeaseMs}")]);

            var revoked = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
            await revoking.Test.GetSubscriber().SubscribeAsync(revoking.Keys.NoticeChannel, (_, message) =>
            {
                if (JobNotice.Deserialize((ReadOnlyMemory<byte>)message) is { Notice: { Kind: JobNoticeKind.Revoked } notice, Origin: var origin } && notice.JobId == revoking.Id)
                {
                    revoked.TrySetResult(origin);
                }
            });
            revoking.Ending = revoking.Host.Factory.Services.GetRequiredService<RunningConfirmations>().EndAsync(revoking.Id);
            revoking.Revoker = await revoked.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
            return revoking;
        }

        /// <summary>What a holder that marked the job terminal publishes.</summary>
        public Task<long> ReleaseAsync(Guid holder) =>
            Test.GetSubscriber().PublishAsync(Keys.NoticeChannel, JobNotice.Release(Id, Revoker).Serialize(holder));

        public async ValueTask DisposeAsync()
        {
            await Test.DisposeAsync();
            await Host.DisposeAsync();
            await _upstream.DisposeAsync();
        }
    }

    private static async Task<long> CallsAsync(RedisServer server, string command)
    {
        var stats = await server.SendAsync("INFO", "commandstats");
        var line = stats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_" + command + ":calls=", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(':')[1].Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
    }
}
