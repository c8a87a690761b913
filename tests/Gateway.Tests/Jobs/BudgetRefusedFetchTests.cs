using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// A plain read that started an ordinary fetch, because a budget slot looked free, and was then turned away by the
/// budget (the slot taken meanwhile) still gets the job's answer, stale, not a 429: only a job with no answer anywhere
/// is told to retry. Driven by a fake clock, which the budget refills and times out on: one job poll a second, and
/// a wait of 200 ms, shorter than a refill.
/// </summary>
public sealed class BudgetRefusedFetchTests(RedisServer redis) : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override TimeProvider? Time => _clock;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:03",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:BudgetWait"] = "00:00:00.200",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task AFetchTheBudgetTurnsAway_LeavesThePlainReadItsStaleAnswer()
    {
        var job = NewId("pending-");
        using (var first = await GetJobAsync(job))
        {
            Assert.Equal("Gateway; fwd=uri-miss", first.Header("Cache-Status"));
        }

        // The window lapses and the bucket refills its one slot.
        _clock.Advance(TimeSpan.FromMilliseconds(3500));
        var budget = Gateway.Services.GetRequiredService<UpstreamBudget>();
        Assert.True(budget.JobPollSlotFree);

        // Another replica holds the job's fetch lease, so this read's ordinary fetch waits before it asks the budget.
        var lease = Gateway.Services.GetRequiredService<RedisKeys>().Lease(global::Gateway.Cluster.JobLeases.Fetch, job).ToString();
        await redis.SendAsync("SET", lease, "elsewhere", "PX", "60000");
        var misses = Gateway.Services.GetRequiredService<global::Gateway.Jobs.JobMisses>();
        var read = GetJobAsync(job);
        await Eventually.Until(() => misses.Waiting == 1, because: "the read waits on the other replica's fetch");

        // Meanwhile another job's read takes the slot; then the lease is let go, and the fetch queues for a slot.
        using (var other = await GetJobAsync(NewId("pending-")))
        {
            Assert.Equal("Gateway; fwd=uri-miss", other.Header("Cache-Status"));
        }

        await redis.SendAsync("DEL", lease);
        await Eventually.Until(() => budget.RetryAfter(jobPoll: true) >= TimeSpan.FromSeconds(2), because: "the fetch waits for a slot");

        // Its wait runs out well before the next slot: the budget turns it away, and the caller gets the stale answer.
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        using var answer = await read;
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        Assert.StartsWith("Gateway; hit; fwd=stale;", answer.Header("Cache-Status"), StringComparison.Ordinal);
        Assert.Equal(1, Upstream.Requests.CountForJob(job));
    }
}
