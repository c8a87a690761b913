using Gateway.Upstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Upstream;

/// <summary>The upstream budget's limiter under a steady queue: its whole refill rate is spent, and never more in any second.</summary>
public sealed class FairShareLimiterTests
{
    private const int Rate = 50;

    [Fact]
    public async Task GrantsThatComeLate_LoseNoBudget_AndNoSecondAdmitsMoreThanTheRefillRate()
    {
        // A grant is due every 1/49 s (the bucket refills at rate - 1); the clock moves 23 ms at a time, so every grant
        // fires a few milliseconds late, as a busy thread pool fires it.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(Rate, clock);
        var waiting = Enumerable.Range(0, 1_000).Select(i => limiter.AcquireAsync(i % 2 == 0 ? "a" : "b", TimeSpan.FromMinutes(5), CancellationToken.None).AsTask()).ToArray();
        var samples = new List<(TimeSpan At, long Admitted)> { (TimeSpan.Zero, limiter.Admissions) };
        var step = TimeSpan.FromMilliseconds(23);
        for (var at = step; at <= TimeSpan.FromSeconds(10); at += step)
        {
            clock.Advance(step);
            samples.Add((at, limiter.Admissions));
        }

        // (rate - 1) a second, 490 in 10 s. The clock moving only in 23 ms steps costs a few grants where the second's
        // count holds one back (484 here); a bucket that throws lateness away admits one grant a step, about 435.
        var admitted = samples[^1].Admitted;
        Assert.InRange(admitted, (Rate - 1) * 10 * 98 / 100, (Rate - 1) * 10 + 1);
        for (var i = 0; i < samples.Count; i++)
        {
            for (var j = i + 1; j < samples.Count && samples[j].At - samples[i].At < TimeSpan.FromSeconds(1); j++)
            {
                Assert.True(samples[j].Admitted - samples[i].Admitted <= Rate - 1,
                    $"{samples[j].Admitted - samples[i].Admitted} admitted between {samples[i].At} and {samples[j].At}");
            }
        }

        // The limiter counts at grant time; each caller hears just after, on the thread pool.
        await Eventually.Until(() => waiting.Count(static t => t.IsCompletedSuccessfully && t.Result) == admitted, because: "every admitted caller heard so");
    }

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
