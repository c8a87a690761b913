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
        using var direct = new MetricCollector<long>(
            host.Factory.Services.GetRequiredService<IMeterFactory>(), global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.direct.hits");
        var id = "scripted-" + Guid.NewGuid().ToString("N");
        var running = Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending"}""");
        upstream.Script.Respond(id, 200, running);

        await using var polling = await host.ConnectAsync();
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await polling.SendAsync(request);
        Assert.Equal("Gateway; fwd=uri-miss", (await polling.ReadResponseAsync()).Header("Cache-Status"));
        var registrations = await CallsAsync(own, "sadd");
        var looks = await CallsAsync(own, "exists");

        await ReadSharedAsync(polling, request, running, times: 20);
        Assert.Equal(registrations + 1, await CallsAsync(own, "sadd"));
        Assert.Equal(looks + 1, await CallsAsync(own, "exists"));

        // A millisecond short of the lease, still none; at its end, the next read looks again.
        clock.Advance(TimeSpan.FromMilliseconds(999));
        await ReadSharedAsync(polling, request, running, times: 5);
        Assert.Equal(registrations + 1, await CallsAsync(own, "sadd"));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await ReadSharedAsync(polling, request, running, times: 5);
        Assert.Equal(registrations + 2, await CallsAsync(own, "sadd"));
        Assert.Equal(looks + 2, await CallsAsync(own, "exists"));

        await Eventually.Until(() => direct.GetMeasurementSnapshot().Sum(static m => m.Value) == 30, because: "all 30 were direct answers");
        Assert.Equal(1, upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AHolderThatNeverSaysItStopped_HoldsBackTheCompletion_UntilItsLeaseLapsed()
    {
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = GatewayHost.Start(upstream, Settings(lease: "00:00:00.250"), clock, redis.ConnectionString);
        var services = host.Factory.Services;
        var keys = services.GetRequiredService<RedisKeys>();
        await using var test = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var database = test.GetDatabase();
        var id = "lease-" + Guid.NewGuid().ToString("N");

        // Two replicas registered as holders, one with a 2 s lease that died, one with a 500 ms lease that answers.
        var (silent, answering) = (Guid.NewGuid(), Guid.NewGuid());
        await database.SetAddAsync(keys.RunningHolders(id), [$"{silent:N}/2000", $"{answering:N}/500"]);
        var revoke = await ListenForRevokeAsync(test, keys, id);

        var ending = services.GetRequiredService<RunningConfirmations>().EndAsync(id);
        var revoker = await revoke.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Equal(services.GetRequiredService<JobNotices>().Origin, revoker);
        Assert.Equal("T", (string?)await database.StringGetAsync(keys.Running(id)));
        await test.GetSubscriber().PublishAsync(keys.NoticeChannel, JobNotice.Release(id, revoker).Serialize(answering));

        // The silent holder's lease is the longer, so it is the one waited out, and a little more for the clocks.
        clock.Advance(TimeSpan.FromMilliseconds(2000));
        Assert.False(ending.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        await ending.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Contains(host.Factory.Logs.GetSnapshot(), static l => l.Id.Name == "LeaseLapsed");
    }

    [Fact]
    public async Task HoldersThatSayTheyStopped_EndTheWait_WithoutTheirLeasesLapsing()
    {
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = GatewayHost.Start(upstream, Settings(lease: "00:00:00.250"), clock, redis.ConnectionString);
        var services = host.Factory.Services;
        var keys = services.GetRequiredService<RedisKeys>();
        await using var test = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var id = "lease-" + Guid.NewGuid().ToString("N");
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await test.GetDatabase().SetAddAsync(keys.RunningHolders(id), [$"{first:N}/5000", $"{second:N}/5000"]);
        var revoke = await ListenForRevokeAsync(test, keys, id);

        // The clock never moves: only the holders' answers can end the wait.
        var ending = services.GetRequiredService<RunningConfirmations>().EndAsync(id);
        var revoker = await revoke.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        await test.GetSubscriber().PublishAsync(keys.NoticeChannel, JobNotice.Release(id, revoker).Serialize(first));
        await test.GetSubscriber().PublishAsync(keys.NoticeChannel, JobNotice.Release(id, revoker).Serialize(second));
        await ending.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.DoesNotContain(host.Factory.Logs.GetSnapshot(), static l => l.Id.Name == "LeaseLapsed");
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
        await ReadSharedAsync(polling, request, running, times: 3);
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
        var settings = Settings(lease: "00:00:00.250");
        settings["Jobs:PendingFreshness"] = "00:00:03";
        settings["Jobs:StaleRunningAnswers"] = "00:00:30";
        settings["Upstream:JobPollsPerSecond"] = "2";
        await using var host = GatewayHost.Start(upstream, settings, clock, redis.ConnectionString);
        using var direct = new MetricCollector<long>(
            host.Factory.Services.GetRequiredService<IMeterFactory>(), global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.direct.hits");
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
    public async Task AnotherTeamsStaleAnswer_IsAnsweredAsUnknown_AndQueuesNoRefresh_WhileItsOwnerGetsItDirectly()
    {
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = Settings(lease: "00:00:00.250");
        settings["Jobs:PendingFreshness"] = "00:00:03";
        settings["Jobs:StaleRunningAnswers"] = "00:00:30";
        settings["Upstream:JobPollsPerSecond"] = "2";
        settings["Jobs:UnownedJobs"] = null;
        await using var host = GatewayHost.Start(upstream, settings, clock, redis.ConnectionString);
        using var direct = new MetricCollector<long>(
            host.Factory.Services.GetRequiredService<IMeterFactory>(), global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.direct.hits");
        // Team A's, as if created through another replica: the stand-in's built-in running jobs, recorded as A's.
        var (id, other) = ("pending-" + Guid.NewGuid().ToString("N"), "pending-" + Guid.NewGuid().ToString("N"));
        var ledger = host.Factory.Services.GetRequiredService<OwnershipLedger>();
        foreach (var job in new[] { id, other })
        {
            await ledger.RecordAsync(OwnedKind.Job, job, new Owner("team-a", "k", "parse_async", clock.GetUtcNow()));
        }

        using var creator = host.Factory.CreateClient(GatewayFactory.TeamAKey);
        await using var owner = await host.ConnectAsync();
        var mine = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        await owner.SendAsync(mine);
        Assert.Equal("Gateway; fwd=uri-miss", (await owner.ReadResponseAsync()).Header("Cache-Status"));

        // The window lapses, the bucket refills, and team A's other job takes the slot: a stale answer is what there is.
        clock.Advance(TimeSpan.FromMilliseconds(3500));
        using (var taken = await creator.GetAsync("/job/" + other, Cancel))
        {
            Assert.Equal("Gateway; fwd=uri-miss", taken.Header("Cache-Status"));
        }

        var reads = upstream.Requests.CountForJob(id);
        await using var stranger = await host.ConnectAsync();
        foreach (var request in new[] { WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey), WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamBKey, "Accept-Encoding: gzip") })
        {
            await stranger.SendAsync(request);
            var refused = await stranger.ReadResponseAsync();
            Assert.Equal(404, refused.Status);
            Assert.Null(refused.Header("Age"));
        }

        var key = host.Factory.Services.GetRequiredService<RedisKeys>().ForJob(id);
        Assert.False(host.Factory.Services.GetRequiredService<RefreshQueue>().Holds(key));
        Assert.Equal(0, direct.GetMeasurementSnapshot().Sum(static m => m.Value));

        await owner.SendAsync(mine);
        Assert.Equal("Gateway; hit; fwd=stale; ttl=-500", (await owner.ReadResponseAsync()).Header("Cache-Status"));
        await Eventually.Until(() => direct.GetMeasurementSnapshot().Sum(static m => m.Value) == 1, because: "the owner's stale answer was direct");
        Assert.True(host.Factory.Services.GetRequiredService<RefreshQueue>().Holds(key));
        Assert.Equal(reads, upstream.Requests.CountForJob(id));
    }

    private static Dictionary<string, string?> Settings(string lease, string? instance = null) => new()
    {
        ["Cache:InstanceName"] = instance ?? "running-lease-" + Guid.NewGuid().ToString("N")[..12] + ":",
        ["Jobs:PendingFreshness"] = "00:00:30",
        ["Jobs:RunningAnswerLease"] = lease,
        ["Webhooks:Secret"] = Secret,
    };

    private static string Instance(GatewayHost host) =>
        host.Factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RedisOptions>>().Value.InstanceName;

    // The origin of the first revoke of the job published on the deployment's notice channel.
    private static async Task<Task<Guid>> ListenForRevokeAsync(ConnectionMultiplexer connection, RedisKeys keys, string id)
    {
        var revoked = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        await connection.GetSubscriber().SubscribeAsync(keys.NoticeChannel, (_, message) =>
        {
            if (JobNotice.Deserialize((ReadOnlyMemory<byte>)message) is { Notice: { Kind: JobNoticeKind.Revoked } notice, Origin: var origin } && notice.JobId == id)
            {
                revoked.TrySetResult(origin);
            }
        });
        return revoked.Task;
    }

    private static async Task<long> CallsAsync(RedisServer server, string command)
    {
        var stats = await server.SendAsync("INFO", "commandstats");
        var line = stats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_" + command + ":calls=", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(':')[1].Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
    }

    private static async Task ReadSharedAsync(WireConnection polling, string request, byte[] running, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await polling.SendAsync(request);
            var shared = await polling.ReadResponseAsync();
            Assert.StartsWith("Gateway; hit; ttl=", shared.Header("Cache-Status"), StringComparison.Ordinal);
            Assert.Equal(running, shared.Body);
        }
    }
}
