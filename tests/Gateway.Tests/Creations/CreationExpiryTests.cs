using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static Gateway.Tests.Creations.CreationTestKit;

namespace Gateway.Tests.Creations;

/// <summary>What is kept for replay lapses on the gateway's clock: <c>Creations:RetryWindow</c> and <c>Creations:IdempotencyTtl</c>.</summary>
public sealed class CreationExpiryTests(RedisServer redis) : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Time => _clock;

    // Through Redis, whose own expiry (real time) has not run: the record's expiry on the gateway's clock decides.
    protected override string? RedisConnectionString => redis.ConnectionString;

    [Fact]
    public async Task RetryWithinTheWindow_IsReplayed_AndPastIt_CreatesAgain()
    {
        var body = NewBody();
        var (_, job) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 0), Cancel));
        _clock.Advance(TimeSpan.FromMinutes(9));
        var (within, same) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 1), Cancel));
        _clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var (past, later) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 2), Cancel));

        Assert.Equal(job, same);
        Assert.True(Replayed(within));
        Assert.NotEqual(job, later);
        Assert.False(Replayed(past));
        Assert.Equal(2, Upstream.Creations.Count);
    }

    [Fact]
    public async Task IdempotencyKey_IsReplayedForADay_ThenANewRequest()
    {
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var (_, job) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));
        _clock.Advance(TimeSpan.FromHours(23));
        var (within, same) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var (past, later) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));

        Assert.Equal(job, same);
        Assert.True(Replayed(within));
        Assert.NotEqual(job, later);
        Assert.False(Replayed(past));
        Assert.Equal(2, Upstream.Creations.Count);
    }
}
