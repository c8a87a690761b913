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

    [Fact]
    public async Task WithAReserve_AnUrgentCallGoesAtOnce_ThoughOthersWait_AndTheOthersNeverTakeTheReserve()
    {
        // Twenty a second: a bucket of two, the second token for urgent calls only, refilled at 18 a second.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(20, clock, reserveForUrgent: true);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.False(limiter.HasSlotNow);
        var queued = Enumerable.Range(0, 3).Select(_ => limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Background).AsTask()).ToArray();
        Assert.All(queued, static t => Assert.False(t.IsCompleted));

        // Not a tick of the clock: the reserve is there, and only the urgent call may take it.
        var urgent = limiter.AcquireAsync("reducto-webhook", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Urgent);
        Assert.Equal(2, limiter.Admissions);
        Assert.True(await urgent);

        // The reserve is earned back before the others go on: two tokens' time (1/18 s each), then one each.
        clock.Advance(TimeSpan.FromSeconds(1.5 / 18));
        Assert.All(queued, static t => Assert.False(t.IsCompleted));
        clock.Advance(TimeSpan.FromSeconds(1.0 / 18));
        await Eventually.Until(() => queued[0].IsCompleted, because: "a token beyond the reserve admits the first waiter");
        Assert.False(queued[1].IsCompleted);
        Assert.False(limiter.HasSlotNow);
    }

    [Fact]
    public async Task WithoutAReserve_AnUrgentCallWaitsForTheNextToken()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var limiter = new FairShareLimiter(20, clock);
        Assert.True(await limiter.AcquireAsync("a", TimeSpan.FromMinutes(1), CancellationToken.None));
        var urgent = limiter.AcquireAsync("reducto-webhook", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Urgent).AsTask();
        Assert.False(urgent.IsCompleted);

        // The next token is 1/19 s (about 53 ms) away.
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.False(urgent.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(5));
        Assert.True(await urgent.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(10, 0.0)]
    [InlineData(150, 0.0)]
    [InlineData(50, 0.5)]
    [InlineData(150, 0.5)]
    public async Task WithAReserve_UrgentCallsAmongAFlood_NoSecondSeesMoreThanTheRate_AndTheFirstGoesAtOnce(int rate, double lateTokens)
    {
        // Timers on time or late, a bucket full after an idle spell, four seconds' rate of others waiting, and two urgent
        // calls at once every 400 ms from the start (the reserve is earned back within 250 ms at ten a second): the first
        // finds the reserve; the second may find the other token too, while a late timer holds it for the others.
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var clock = new LateTimers(fake, TimeSpan.FromSeconds(lateTokens / rate));
        using var limiter = new FairShareLimiter(rate, clock, reserveForUrgent: true);
        fake.Advance(TimeSpan.FromSeconds(5));
        var waiters = Enumerable.Range(0, rate * 4).Select(i => limiter.AcquireAsync("team-" + (i % 3), TimeSpan.FromMinutes(1), CancellationToken.None, i % 2 == 0 ? BudgetLane.Caller : BudgetLane.Background).AsTask()).ToArray();

        var step = TimeSpan.FromMilliseconds(1);
        var admissions = new List<long> { limiter.Admissions };
        var urgent = new List<(Task<bool> First, Task<bool> Second)>();
        for (var elapsed = step; elapsed <= TimeSpan.FromSeconds(3); elapsed += step)
        {
            fake.Advance(step);
            if (elapsed.TotalMilliseconds % 400 == 1)
            {
                urgent.Add((
                    limiter.AcquireAsync("reducto-webhook", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Urgent).AsTask(),
                    limiter.AcquireAsync("reducto-webhook", TimeSpan.FromMinutes(1), CancellationToken.None, BudgetLane.Urgent).AsTask()));
                Assert.True(urgent[^1].First.IsCompleted, "the first finds the reserve and goes at once");
            }

            admissions.Add(limiter.Admissions);
        }

        var perWindow = 999;
        var busiest = Enumerable.Range(0, admissions.Count - perWindow).Max(i => admissions[i + perWindow] - (i == 0 ? 0 : admissions[i - 1]));
        Assert.InRange(busiest, 1, rate);
        if (lateTokens == 0)
        {
            // Demand never let up: at most the bucket's two tokens plus three seconds at rate - 2 (a read a second less than
            // without the reserve), and a little less where the clock's millisecond steps make a timer late.
            Assert.InRange(admissions[^1], (long)(0.9 * 3 * (rate - 2)), 3 * (rate - 2) + 2);
        }

        await Eventually.Until(() => urgent.All(static u => u.Second.IsCompleted), because: "every urgent call is admitted before the others");
        Assert.All(urgent, static u => Assert.True(u.First.Result && u.Second.Result));
    }
}
