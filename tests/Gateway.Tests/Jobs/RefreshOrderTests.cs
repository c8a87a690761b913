using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// The refreshes behind stale answers (<c>RefreshQueue</c>): queued once per job however often it is read, started a
/// second and a half of the budget at a time, the oldest answer first, and never for a job nobody reads. Driven by a fake clock, which the upstream
/// budget refills on: one job poll a second, so each step of the clock lets exactly one refresh read the upstream.
/// </summary>
public sealed class RefreshOrderTests : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Time => _clock;

    // Two job polls a second: a bucket of one slot, one more a second; three refreshes in flight at most.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:03",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:BudgetWait"] = "00:00:30",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task StaleJobs_AreRefreshedOldestAnswerFirst_OnceEach_AndAnUnreadJobNever()
    {
        // Five running jobs answered a second apart (one slot a second), and one more that nobody reads again.
        var jobs = Enumerable.Range(1, 5).Select(static i => NewId($"pending-order{i}-")).ToArray();
        var unread = NewId("pending-unread-");
        foreach (var job in jobs.Append(unread))
        {
            (await GetJobAsync(job)).Dispose();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        // Every window has lapsed; another job's read takes the one slot the bucket holds.
        _clock.Advance(TimeSpan.FromSeconds(3));
        (await GetJobAsync(NewId("pending-"))).Dispose();
        var before = Upstream.Requests.All.Count;

        // Read youngest first, each twice: the three refreshes the queue runs at once take the first three, and wait
        // for slots; the other two wait in the queue, whatever order they were read in.
        foreach (var job in jobs.Reverse().SelectMany(static job => new[] { job, job }))
        {
            using var stale = await GetJobAsync(job);
            Assert.StartsWith("Gateway; hit; fwd=stale;", stale.Header("Cache-Status"), StringComparison.Ordinal);
        }

        for (var step = 1; step <= jobs.Length; step++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Refreshed(before).Count == step, because: $"refresh {step} reads the upstream");
        }

        var order = Refreshed(before);
        Assert.Equal(new[] { jobs[2], jobs[3], jobs[4] }.Order(StringComparer.Ordinal), order.Take(3).Order(StringComparer.Ordinal));
        Assert.Equal([jobs[0], jobs[1]], order.Skip(3));

        // One more slot, and nothing queued takes it: each job was refreshed once, and the unread job not at all.
        _clock.Advance(TimeSpan.FromSeconds(1));
        (await GetJobAsync(NewId("pending-"))).Dispose();
        Assert.Equal(jobs.Length, Refreshed(before).Count);
        Assert.Equal(1, Upstream.Requests.CountForJob(unread));
    }

    [Fact]
    public async Task TenTimesMoreJobsThanTheBudget_AreEachRefreshedEveryCycle_NoneStarves()
    {
        // 20 running jobs polled every second against one upstream read a second: a refresh period of 20 s.
        var jobs = Enumerable.Range(1, 20).Select(static i => NewId($"pending-cycle{i}-")).ToArray();
        foreach (var job in jobs)
        {
            (await GetJobAsync(job)).Dispose();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        var oldest = TimeSpan.Zero;
        for (var second = 0; second < 60; second++)
        {
            foreach (var job in jobs)
            {
                using var answer = await GetJobAsync(job);
                Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
                oldest = answer.Headers.Age is { } age && age > oldest ? age : oldest;
            }

            // One slot a second: exactly one queued refresh reads the upstream before the next round.
            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1, because: $"second {second}'s slot is spent on a refresh");
        }

        // Every job read again at least twice in 60 s, and no answer served older than the period plus the window.
        Assert.All(jobs, job => Assert.InRange(Upstream.Requests.CountForJob(job), 3, 5));
        Assert.InRange(oldest, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20 + 3 + 1));
    }

    private List<string> Refreshed(int before) =>
        [.. Upstream.Requests.All.Skip(before).Select(static r => r.Path["/job/".Length..]).Where(static id => id.StartsWith("pending-order", StringComparison.Ordinal))];
}
