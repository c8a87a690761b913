using System.Diagnostics.Metrics;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// The refreshes behind stale answers take turns between the teams they are charged to, in the refresh queue and in the
/// budget's queue behind the callers: a team polling one running job has it refreshed within a round or two while
/// another team's many wait their turns, instead of behind all of them because their answers are older. Driven by a
/// fake clock, which the upstream budget refills on.
/// </summary>
public sealed class RefreshTurnsTests : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Time => _clock;

    // One job poll a second (a bucket of one slot, one more a second), three refreshes under way at most, and a running
    // answer fresh for a second.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:01",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:BudgetWait"] = "00:00:30",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task TheQueueStartsTheTeamsInTurn_EachTeamsOldestAnswerFirst()
    {
        var ring = new ReplicaRing(static () => true);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // One job poll a second: two refreshes at a time.
        using var budget = new UpstreamBudget(Options.Create(new UpstreamOptions { JobPollsPerSecond = 1 }), _clock);
        var queue = new RefreshQueue(budget, services.GetRequiredService<IMeterFactory>(), ring, _clock);
        var refreshes = new HeldRefreshes();
        var t = _clock.GetUtcNow();

        // Team A's six answers are minutes old, team B's two a second or two: oldest first alone, B's would go last.
        var a = Enumerable.Range(0, 6).Select(static i => $"gw:job:pending-a{i}").ToArray();
        for (var i = 0; i < a.Length; i++)
        {
            refreshes.Enqueue(queue, a[i], "team-a", t.AddMinutes(-10).AddSeconds(i));
        }

        refreshes.Enqueue(queue, "gw:job:pending-b1", "team-b", t.AddSeconds(-1));
        refreshes.Enqueue(queue, "gw:job:pending-b0", "team-b", t.AddSeconds(-2));
        await Eventually.Until(() => refreshes.Started.Count == 2, because: "two refreshes run at once");
        for (var started = 3; started <= 8; started++)
        {
            refreshes.Finish(refreshes.Started[started - 3]);
            await Eventually.Until(() => refreshes.Started.Count == started, because: "a slot freed starts the next");
        }

        // The first two start at once, on threads of their own; after them, one at a time as slots free.
        Assert.Equal([a[0], a[1]], refreshes.Started.Take(2).Order(StringComparer.Ordinal));
        Assert.Equal([a[2], "gw:job:pending-b0", a[3], "gw:job:pending-b1", a[4], a[5]], refreshes.Started.Skip(2));
    }

    [Fact]
    public async Task ATeamPollingOneRunningJob_HasItRefreshedEveryFewSeconds_WhileAnotherTeamsTwelveTakeTheirTurns()
    {
        using var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey);
        var many = Enumerable.Range(1, 12).Select(static i => NewId($"pending-turns-a{i}-")).ToArray();
        var one = NewId("pending-turns-b-");
        await OwnAsync(many.Select(static job => (job, "team-a")).Append((one, "team-b")));

        // Each job's first read takes the slot a second brings; team B's job is read last, so its answer is the youngest.
        foreach (var job in many)
        {
            (await GetJobAsync(job)).Dispose();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        (await teamB.GetAsync("/job/" + one, Cancel)).Dispose();
        var before = Upstream.Requests.Count;

        // Both teams poll all their jobs every second for 24 s: 24 reads, one a second, all of them refreshes.
        var oldestForB = TimeSpan.Zero;
        for (var second = 0; second < 24; second++)
        {
            foreach (var job in many)
            {
                (await GetJobAsync(job)).Dispose();
            }

            using (var answer = await teamB.GetAsync("/job/" + one, Cancel))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
                oldestForB = answer.Headers.Age is { } age && age > oldestForB ? age : oldestForB;
            }

            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1, because: $"second {second}'s slot is spent");
        }

        // Oldest answer first across both teams would have read B's job once in thirteen seconds (behind all of A's), its
        // answers up to thirteen seconds old. In turns it is read every five seconds or so: its second of freshness, a
        // wait for one of the three refreshes under way to end, then a turn behind one of A's for the budget. Team A
        // still has every job read in the rest.
        Assert.Equal(24, Upstream.Requests.Count - before);
        Assert.InRange(Upstream.Requests.CountForJob(one) - 1, 4, 12);
        Assert.InRange(oldestForB, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.All(many, job => Assert.InRange(Upstream.Requests.CountForJob(job) - 1, 1, 2));
    }

    private Task OwnAsync(IEnumerable<(string Job, string Team)> jobs) => Gateway.OwnJobsAsync(jobs, _clock.GetUtcNow());
}
