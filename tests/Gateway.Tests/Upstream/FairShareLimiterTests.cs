using Gateway.Upstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The upstream budget's limiter: a completion webhook's call goes before every queued one, a refresh after its own
/// team's callers but in its team's turn, a grant timer that fires late costs its lateness, so no second sees more than the rate however the
/// timers run, and a token earned while a timer is being set is granted then, not a step late.
/// </summary>
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
        var urgent = limiter.AcquireAsync("reducto-webhook", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Urgent).AsTask();

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await urgent);
        Assert.Equal(2, limiter.Admissions);
        Assert.All(queued, static t => Assert.False(t.IsCompleted));

        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => queued[0].IsCompleted, because: "the queue moves on after the urgent call");
        Assert.True(await queued[0]);
        Assert.False(queued[1].IsCompleted);
    }

    [Fact]
    public async Task ABackgroundCall_WaitsBehindItsTeamsCallers_EvenThoseWhoCameAfterIt_AndAddsNothingToTheirEstimatedWait()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(2, clock);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));
        var refreshes = Enumerable.Range(0, 2).Select(_ => limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Background).AsTask()).ToArray();
        Assert.Equal(TimeSpan.FromSeconds(1), limiter.EstimatedWait);
        var callers = new[] { "a", "b" }.Select(team => limiter.AcquireAsync(team, TimeSpan.FromMinutes(1), CancellationToken.None).AsTask()).ToArray();
        Assert.Equal(TimeSpan.FromSeconds(3), limiter.EstimatedWait);

        // One a second: both callers, then the refreshes in the order they came.
        var order = new List<Task<bool>>();
        for (var second = 1; second <= 4; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var waiters = callers.Concat(refreshes).ToArray();
            await Eventually.Until(() => waiters.Count(static t => t.IsCompleted) == second, because: "one waiter is admitted each second");
            Assert.Equal(second, waiters.Count(static t => t.IsCompleted));
            order.Add(waiters.Single(t => t.IsCompleted && !order.Contains(t)));
        }

        Assert.Equal([callers[0], callers[1], refreshes[0], refreshes[1]], order);
        Assert.All(order, static t => Assert.True(t.Result));
        Assert.Equal(5, limiter.Admissions);
    }

    [Fact]
    public async Task BackgroundCalls_TakeTurnsBetweenTheirTeams_EachTeamsInTheOrderTheyCame()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(2, clock);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));
        var refreshes = new[] { "a", "a", "a", "b" }.Select(team => limiter.AcquireAsync(team, TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Background).AsTask()).ToArray();

        // One a second: team B's one refresh goes second, not behind all of team A's.
        var order = new List<Task<bool>>();
        for (var second = 1; second <= refreshes.Length; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => refreshes.Count(static t => t.IsCompleted) == second, because: "one refresh is admitted each second");
            order.Add(refreshes.Single(t => t.IsCompleted && !order.Contains(t)));
        }

        Assert.Equal([refreshes[0], refreshes[3], refreshes[1], refreshes[2]], order);
    }

    [Fact]
    public async Task AnotherTeamsFloodOfCallers_HoldsUpABackgroundCall_ByOneTurnAtMost()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(2, clock);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));
        var flood = Enumerable.Range(0, 4).Select(_ => limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None).AsTask()).ToArray();
        var refresh = limiter.AcquireAsync("b", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Background).AsTask();

        // One a second: team A's first caller, then team B's refresh in B's turn, then the rest of A's callers.
        var order = new List<Task<bool>>();
        var all = flood.Append(refresh).ToArray();
        for (var second = 1; second <= all.Length; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => all.Count(static t => t.IsCompleted) == second, because: "one call is admitted each second");
            order.Add(all.Single(t => t.IsCompleted && !order.Contains(t)));
        }

        Assert.Equal([flood[0], refresh, flood[1], flood[2], flood[3]], order);
    }

    [Fact]
    public async Task ATokenEarnedWhileTheGrantTimerIsBeingSet_IsGrantedAtOnce_NotAStepLate()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var clock = new ClockMovingAsTimersAreSet(fake);
        using var limiter = new FairShareLimiter(2, clock);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));

        // The next caller's token is due in a second, and the clock gets there while its timer is being set: the timer
        // then counts its second from the new time. Nothing moves the clock again, so only a grant made then admits it.
        clock.MoveWhenNextSet(TimeSpan.FromSeconds(1));
        var next = limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None).AsTask();

        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(2, limiter.Admissions);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(50)]
    [InlineData(150)]
    public async Task AGrantTimerFiringLate_CostsItsLateness_AndNoSecondSeesMoreThanTheRate(int rate)
    {
        // Every timer fires half a token's interval late, as on a busy thread pool; idle first, so the bucket is as
        // full as it gets when more callers than three seconds' rate arrive at once.
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var clock = new LateTimers(fake, TimeSpan.FromSeconds(0.5 / rate));
        using var limiter = new FairShareLimiter(rate, clock);
        fake.Advance(TimeSpan.FromSeconds(5));
        var waiters = Enumerable.Range(0, rate * 4).Select(i => limiter.AcquireAsync("team-" + (i % 3), TimeSpan.FromMinutes(1), CancellationToken.None).AsTask()).ToArray();

        var step = TimeSpan.FromMilliseconds(1);
        var admissions = new List<long> { limiter.Admissions };
        for (var elapsed = step; elapsed <= TimeSpan.FromSeconds(3); elapsed += step)
        {
            fake.Advance(step);
            admissions.Add(limiter.Admissions);
        }

        // One token at once, then one per refill interval (1 / (rate - 1) s) plus the timer's lateness: the late time is
        // not kept (the class's summary says why), so three seconds admit about two thirds of three seconds' rate. The
        // fake clock's timers wait whole milliseconds, rounded up.
        var cycle = Math.Ceiling((1.0 / (rate - 1) + clock.Lateness.TotalSeconds) * 1000) / 1000;
        var expected = 1 + 3 / cycle;
        Assert.InRange(admissions[^1], (long)expected - 2, (long)expected + 2);

        // Samples a millisecond apart: those less than a second apart bound every one-second window.
        var perWindow = 999;
        var busiest = Enumerable.Range(0, admissions.Count - perWindow).Max(i => admissions[i + perWindow] - (i == 0 ? 0 : admissions[i - 1]));
        Assert.InRange(busiest, 1, rate);
        await Eventually.Until(() => waiters.Count(static w => w.IsCompleted) == admissions[^1], because: "each admission lets one caller go");
        Assert.All(waiters.Where(static w => w.IsCompleted), static w => Assert.True(w.Result));
    }
}
