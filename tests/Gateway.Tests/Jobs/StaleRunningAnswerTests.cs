using System.Diagnostics.Metrics;
using System.Net;
using Gateway.Redis;
using Gateway.Telemetry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// <c>Jobs:StaleRunningAnswers</c>: a plain read of a running job whose window lapsed, arriving when no upstream budget
/// slot is free, gets the job's last answer at once, marked stale, and the job is refreshed behind it; never after the
/// job is known to be terminal. Driven by a fake clock, which the upstream budget refills on too.
/// </summary>
public sealed class StaleRunningAnswerTests(RedisServer redis) : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override TimeProvider? Time => _clock;

    // Two job polls a second: the bucket holds one slot and refills one a second, so one read empties it.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:03",
        ["Jobs:StaleRunningAnswers"] = "00:00:30",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task ALapsedWindowWithNoSlot_IsAnsweredStaleAtOnce_AndRefreshedBehindIt()
    {
        var job = NewId("pending-");
        var (first, sent) = await ReadAsync(job);
        Assert.Equal("Gateway; fwd=uri-miss", first.Header("Cache-Status"));

        // The window lapses and the bucket refills; another job's read then takes the one slot.
        _clock.Advance(TimeSpan.FromMilliseconds(3500));
        await ReadAsync(NewId("pending-"));

        var (stale, body) = await ReadAsync(job);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("Gateway; hit; fwd=stale; ttl=-500", stale.Header("Cache-Status"));
        Assert.Equal(TimeSpan.FromSeconds(3), stale.Headers.Age);
        Assert.Equal("no-store", stale.Headers.CacheControl?.ToString());
        Assert.Equal(sent, body);
        Assert.Equal(1, Upstream.Requests.CountForJob(job));

        // The refresh waits for the next slot, and nobody waits with it.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => Upstream.Requests.CountForJob(job) == 2);
        await Eventually.Until(async () => (await ReadAsync(job)).Response.Header("Cache-Status")!.StartsWith("Gateway; hit; ttl=", StringComparison.Ordinal));
        Assert.Equal(2, Upstream.Requests.CountForJob(job));
    }

    [Fact]
    public async Task AReadArrivingWhileTheRefreshIsUnderWay_IsAnsweredStaleAtOnce_EvenWithASlotFree()
    {
        var job = NewId("pending-");
        var (_, sent) = await ReadAsync(job);
        _clock.Advance(TimeSpan.FromMilliseconds(3500));

        // The refresh's read reaches the upstream with the next slot, and its answer is held there.
        var gate = Upstream.Script.Hold(job);
        await ReadAsync(NewId("pending-"));
        var (first, _) = await ReadAsync(job);
        Assert.Equal("Gateway; hit; fwd=stale; ttl=-500", first.Header("Cache-Status"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));

        // A slot is free again, but the job's refresh is still under way: the next read does not join it.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(Gateway.Services.GetRequiredService<global::Gateway.Upstream.UpstreamBudget>().JobPollSlotFree);
        var (second, body) = await ReadAsync(job);
        Assert.StartsWith("Gateway; hit; fwd=stale; ttl=-", second.Header("Cache-Status"), StringComparison.Ordinal);
        Assert.Equal(sent, body);
        Assert.Equal(2, Upstream.Requests.CountForJob(job));
        gate.Release();
    }

    [Fact]
    public async Task ARefresh_GivesWayToAnotherReplicaRefreshingTheJob_AndFreesItsSlotAtOnce()
    {
        // Another replica has claimed the job's refresh: its notice will bring the answer.
        var job = NewId("pending-");
        var keys = Gateway.Services.GetRequiredService<RedisKeys>();
        var claim = keys.Lease(global::Gateway.Cluster.JobLeases.Refresh, job);
        await redis.SendAsync("SET", claim.ToString(), "elsewhere", "PX", "60000");
        await ServeStaleAsync(job);

        // The refresh ends without waiting for a slot or on that replica (its claim has a minute to run), and without a
        // read here, the clock never moving.
        var refreshes = Gateway.Services.GetRequiredService<global::Gateway.Jobs.RefreshQueue>();
        await Eventually.Until(() => !refreshes.Holds(keys.ForJob(job)), because: "the refresh gives way to the other replica's");
        _clock.Advance(TimeSpan.FromSeconds(1));
        (await GetJobAsync(NewId("pending-"))).Dispose();
        Assert.Equal(1, Upstream.Requests.CountForJob(job));
        await redis.SendAsync("DEL", claim.ToString());
    }

    [Fact]
    public async Task ARefreshWaitingForItsSlot_HoldsItsClaim_ButNotTheFetchLease_WhichPlainReadsElsewhereWaitOn()
    {
        var job = NewId("pending-");
        await ServeStaleAsync(job);

        // The refresh waits behind the budget with the clock frozen: claimed, but the fetch lease is free.
        var keys = Gateway.Services.GetRequiredService<RedisKeys>();
        var claim = keys.Lease(global::Gateway.Cluster.JobLeases.Refresh, job).ToString();
        var fetch = keys.Lease(global::Gateway.Cluster.JobLeases.Fetch, job).ToString();
        await Eventually.Until(async () => await redis.SendAsync("EXISTS", claim) == ":1", because: "the refresh claims the job");

        // Were it taken before the slot, the fetch lease would be held by the time the refresh queues for the budget
        // (nothing else waits for a slot here): looked for once the refresh is in that queue.
        var budget = Gateway.Services.GetRequiredService<global::Gateway.Upstream.UpstreamBudget>();
        await Eventually.Until(() => budget.JobPollsWaiting == 1, because: "the refresh waits for its budget slot");
        Assert.True(await redis.SendAsync("EXISTS", fetch) == ":0", "the fetch lease was taken before the refresh waited for its slot");

        Assert.Equal(1, Upstream.Requests.CountForJob(job));

        // The slot comes: the job is read, and the claim let go.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => Upstream.Requests.CountForJob(job) == 2, because: "the refresh reads the job with its slot");
        await Eventually.Until(async () => await redis.SendAsync("EXISTS", claim) == ":0", because: "the claim is let go");
    }

    [Fact]
    public async Task AnAnswerPastTheStaleLimit_IsNotServed_TheReadWaitsForASlot()
    {
        var job = NewId("pending-");
        await ReadAsync(job);
        _clock.Advance(TimeSpan.FromSeconds(31));
        await ReadAsync(NewId("pending-"));

        var read = ReadAsync(job);
        await Eventually.Until(() =>
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            return read.IsCompleted;
        });

        Assert.Equal("Gateway; fwd=uri-miss", (await read).Response.Header("Cache-Status"));
        Assert.Equal(2, Upstream.Requests.CountForJob(job));
    }

    [Fact]
    public async Task AJobAnotherReplicaMarkedTerminal_IsNeverAnsweredStale()
    {
        var job = NewId("pending-");
        await ReadAsync(job);
        _clock.Advance(TimeSpan.FromMilliseconds(3500));
        await ReadAsync(NewId("pending-"));

        // As another replica leaves it when it sees the job finish; this replica missed that replica's notice.
        var key = Gateway.Services.GetRequiredService<RedisKeys>().Running(job);
        await redis.SendAsync("SET", key.ToString(), "T", "PX", "60000");

        var read = ReadAsync(job);
        await Eventually.Until(() =>
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            return read.IsCompleted;
        });

        Assert.DoesNotContain("fwd=stale", (await read).Response.Header("Cache-Status"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleAnswers_RecordTheirAge_AndOneRefreshIsInFlightUntilTheUpstreamAnswers()
    {
        // What an operator reads: how old each stale answer was, and how many refreshes behind them still run. This
        // gateway's own meter factory: other gateways alive in the test process publish meters of the same name.
        var meters = Gateway.Services.GetRequiredService<IMeterFactory>();
        using var ages = new MetricCollector<double>(meters, GatewayMetrics.MeterName, "gateway.stale.answer.age");
        using var refreshes = new MetricCollector<long>(meters, GatewayMetrics.MeterName, "gateway.stale.refreshes.in_flight");
        long InFlight() => refreshes.GetMeasurementSnapshot().Sum(static m => m.Value);

        var job = NewId("pending-");
        (await GetJobAsync(job)).Dispose();
        _clock.Advance(TimeSpan.FromMilliseconds(3500));
        (await GetJobAsync(NewId("pending-"))).Dispose();

        // Two stale answers while the budget stays empty: the second joins the first one's refresh.
        using var first = await GetJobAsync(job);
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        using var second = await GetJobAsync(job);
        Assert.All([first, second], r => Assert.StartsWith("Gateway; hit; fwd=stale;", r.Header("Cache-Status"), StringComparison.Ordinal));

        Assert.Equal([3.5, 3.7], ages.GetMeasurementSnapshot().Select(static m => Math.Round(m.Value, 3)));
        Assert.All(ages.GetMeasurementSnapshot(), static m => Assert.True(m.Tags.ContainsKey("team")));
        await Eventually.Until(() => InFlight() == 1);

        // The next slot lets the refresh read the job; it then leaves the gauge.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => Upstream.Requests.CountForJob(job) == 2);
        await Eventually.Until(() => InFlight() == 0);
        Assert.Equal(1, refreshes.GetMeasurementSnapshot().Count(static m => m.Value == 1));
    }

    [Fact]
    public async Task AnAnswerOnlyAnotherReplicaRead_IsServedStaleFromRedis_WithoutAnUpstreamRead()
    {
        // As another replica leaves it: the job read there 5 s ago, kept in Redis past its 3 s window. This replica
        // never read the job, so only Redis can spare its caller the wait for a slot.
        var job = NewId("pending-");
        var body = System.Text.Encoding.UTF8.GetBytes($$"""{"job_id":"{{job}}","status":"Pending","from":"elsewhere"}""");
        var key = Gateway.Services.GetRequiredService<RedisKeys>().Running(job);
        var elsewhere = new global::Gateway.Jobs.RunningAnswer("application/json", body, _clock.GetUtcNow() - TimeSpan.FromSeconds(5));
        await SetAsync(key, elsewhere);
        await ReadAsync(NewId("pending-"));

        var (stale, served) = await ReadAsync(job);
        Assert.Equal("Gateway; hit; fwd=stale; ttl=-2000", stale.Header("Cache-Status"));
        Assert.Equal(body, served);
        Assert.Equal(0, Upstream.Requests.CountForJob(job));
    }

    [Fact]
    public async Task AQueuedRefresh_IsSpent_OnceAnyReplicaHasANewerAnswer_OrTheJobEnded()
    {
        var running = Gateway.Services.GetRequiredService<global::Gateway.Jobs.RunningAnswers>();
        var job = NewId("pending-");
        var key = Gateway.Services.GetRequiredService<RedisKeys>().Running(job);
        var servedAt = _clock.GetUtcNow() - TimeSpan.FromSeconds(10);
        Task Elsewhere(TimeSpan age) => SetAsync(key, new global::Gateway.Jobs.RunningAnswer("application/json", "{}"u8.ToArray(), _clock.GetUtcNow() - age));

        Assert.False(await running.RefreshedSinceAsync(job, servedAt));
        await Elsewhere(TimeSpan.FromSeconds(12));
        Assert.False(await running.RefreshedSinceAsync(job, servedAt));
        await Elsewhere(TimeSpan.FromSeconds(2));
        Assert.True(await running.RefreshedSinceAsync(job, servedAt));
        await redis.SendAsync("SET", key.ToString(), "T", "PX", "60000");
        Assert.True(await running.RefreshedSinceAsync(job, servedAt));
        Assert.False(await running.RefreshedSinceAsync(NewId("pending-"), servedAt));
    }

    // Written as another replica's gateway writes it: the serialised answer, binary, through the same client.
    private async Task SetAsync(StackExchange.Redis.RedisKey key, global::Gateway.Jobs.RunningAnswer answer) =>
        Assert.True(await Gateway.Services.GetRequiredService<SharedRedis>().TryAsync(
            database => database.StringSetAsync(key, answer.Serialize(), TimeSpan.FromMinutes(1)), false));

    // A running job read once, its window lapsed, the one budget slot taken by another job's read, then read again:
    // answered stale, with its refresh queued.
    private async Task ServeStaleAsync(string job)
    {
        await ReadAsync(job);
        _clock.Advance(TimeSpan.FromMilliseconds(3500));
        await ReadAsync(NewId("pending-"));
        var (stale, _) = await ReadAsync(job);
        Assert.Equal("Gateway; hit; fwd=stale; ttl=-500", stale.Header("Cache-Status"));
    }

    private async Task<(HttpResponseMessage Response, byte[] Body)> ReadAsync(string id)
    {
        var response = await GetJobAsync(id);
        return (response, await response.Content.ReadAsByteArrayAsync(Cancel));
    }
}
