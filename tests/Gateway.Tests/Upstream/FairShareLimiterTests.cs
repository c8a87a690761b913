using Gateway.Upstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Upstream;

/// <summary>The upstream budget's limiter: a completion webhook's call goes before every queued one.</summary>
public sealed class FairShareLimiterTests
{
    [Fact]
    public async Task AnUrgentCall_IsAdmittedBeforeEveryQueuedOne()
    {
        // Two a second: one token at once, then one a second.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(2, clock);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));
        var queued = Enumerable.Range(0, 3).Select(i => limiter.AcquireAsync(i == 1 ? "b" : "a", TimeSpan.FromMinutes(1), CancellationToken.None).AsTask()).ToArray();
        var urgent = limiter.AcquireAsync("reducto-webhook", TimeSpan.FromMinutes(1), CancellationToken.None, urgent: true).AsTask();

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await urgent);
        Assert.Equal(2, limiter.Admissions);
        Assert.All(queued, static t => Assert.False(t.IsCompleted));

        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => queued[0].IsCompleted, because: "the queue moves on after the urgent call");
        Assert.True(await queued[0]);
        Assert.False(queued[1].IsCompleted);
    }
}
