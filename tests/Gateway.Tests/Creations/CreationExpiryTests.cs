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
    public Task RetryWithinTheWindow_IsReplayed_AndPastIt_CreatesAgain() =>
        ReplayedWithin_ThenCreatedPast(attempt => Parse(NewBodyOnce(), retryCount: attempt), TimeSpan.FromMinutes(10));

    [Fact]
    public Task IdempotencyKey_IsReplayedForADay_ThenANewRequest()
    {
        var key = Guid.NewGuid().ToString();
        return ReplayedWithin_ThenCreatedPast(_ => Parse(NewBodyOnce(), idempotencyKey: key), TimeSpan.FromHours(24));
    }

    private string? _body;

    private string NewBodyOnce() => _body ??= NewBody();

    // Attempts 0, 1 and 2: the second a minute inside the lifetime (replayed), the third a second past it (created).
    private async Task ReplayedWithin_ThenCreatedPast(Func<int, HttpRequestMessage> attempt, TimeSpan lifetime)
    {
        var (_, job) = await JobAsync(Client.SendAsync(attempt(0), Cancel));
        _clock.Advance(lifetime - TimeSpan.FromMinutes(1));
        var (within, same) = await JobAsync(Client.SendAsync(attempt(1), Cancel));
        _clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var (past, later) = await JobAsync(Client.SendAsync(attempt(2), Cancel));

        Assert.Equal(job, same);
        Assert.True(Replayed(within));
        Assert.NotEqual(job, later);
        Assert.False(Replayed(past));
        Assert.Equal(2, Upstream.Creations.Count);
    }
}
