using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Creations.CreationTestKit;

namespace Gateway.Tests.Creations;

/// <summary>Two replicas sharing a Redis act as one: a repeat reaching the other replica still gets the first attempt's job.</summary>
public sealed class ReplicaCreationTests(RedisServer redis)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SdkRetryOnTheOtherReplica_JoinsTheFirstInFlight_AndLaterOnesReplayIt()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString);
        var body = NewBody();
        var (job, joinedAnswer, joined) = await RepeatWhileInFlightAsync(
            set.Upstream, set.Clients[0], Parse(body, retryCount: 0, delayMs: 400), set.Clients[1], Parse(body, retryCount: 1));
        var (replayedAnswer, replayed) = await JobAsync(set.Clients[1].SendAsync(Parse(body, retryCount: 2), Cancel));

        Assert.Equal(job, joined);
        Assert.Equal(job, replayed);
        Assert.True(Replayed(joinedAnswer));
        Assert.True(Replayed(replayedAnswer));
        Assert.Equal(1, set.Upstream.Creations.Count);
    }

    [Fact]
    public async Task IdempotencyKeyOnTheOtherReplica_IsReplayed_Or422()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString);
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var (_, job) = await JobAsync(set.Clients[0].SendAsync(Parse(body, idempotencyKey: key), Cancel));
        var (replay, again) = await JobAsync(set.Clients[1].SendAsync(Parse(body, idempotencyKey: key), Cancel));
        using var refused = await set.Clients[1].SendAsync(Parse(NewBody(), idempotencyKey: key), Cancel);

        Assert.Equal(job, again);
        Assert.True(Replayed(replay));
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(1, set.Upstream.Creations.Count);
    }

    [Fact]
    public async Task TwinsOnTwoReplicasAtOnce_ReachReductoOnce()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString);
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var twins = Enumerable.Range(0, 6)
            .Select(i => JobAsync(set.Clients[i % 2].SendAsync(Parse(body, idempotencyKey: key, delayMs: 300), Cancel)))
            .ToArray();
        var answers = await Task.WhenAll(twins);

        Assert.Single(answers.Select(static a => a.JobId).Distinct());
        Assert.Equal(5, answers.Count(static a => Replayed(a.Response)));
        Assert.Equal(1, set.Upstream.Creations.Count);
    }

    [Fact]
    public async Task WithRedisAway_ARetryOnTheSameReplica_IsStillReplayed()
    {
        await using var own = new RedisServer();
        await own.StartAsync();
        await using var set = await ReplicaSet.StartAsync(1, own.ConnectionString);
        await own.StopAsync();
        var body = NewBody();

        var (_, job) = await JobAsync(set.Clients[0].SendAsync(Parse(body, retryCount: 0), Cancel));
        var (retry, again) = await JobAsync(set.Clients[0].SendAsync(Parse(body, retryCount: 1), Cancel));

        Assert.Equal(job, again);
        Assert.True(Replayed(retry));
        Assert.Equal(1, set.Upstream.Creations.Count);
    }
}
