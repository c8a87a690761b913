using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// The refreshes behind stale answers take turns between the teams they are charged to, in the refresh queue (on its
/// own in <see cref="RefreshQueueTurnsTests"/>) and in the budget's queue, after their own team's callers: a team
/// polling one running job has it refreshed within a round or two while another team's many wait their turns, instead
/// of behind all of them because their answers are older; and a team that overruns its share with reads of its own
/// (callers waiting on all its jobs, more new jobs a second than the budget reads) takes no turns from another team's
/// refreshes. Driven by a fake clock, which the upstream budget refills on.
/// </summary>
public sealed class RefreshTurnsTests : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Time => _clock;

    // One job poll a second (a bucket of one slot, one more a second), three refreshes under way at most, a running
    // answer fresh for a second, and the default budget wait: a read that gets no slot gives up as in production.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:01",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:BudgetWait"] = "00:00:02",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task ATeamPollingOneRunningJob_HasItRefreshedEveryFewSeconds_WhileAnotherTeamsTwelveTakeTheirTurns()
    {
        // Team A polls all its jobs every second too: all 24 reads are refreshes.
        var (reads, oldest) = await TeamBPollsOneJobAsync("turns", async (many, _) =>
        {
            foreach (var job in many)
            {
                (await GetJobAsync(job)).Dispose();
            }
        });

        // Oldest answer first across both teams would have read B's job once in thirteen seconds (behind all of A's), its
        // answers up to thirteen seconds old. In turns it is read every five seconds or so: its second of freshness, a
        // wait for one of the three refreshes under way to end, then a turn for the budget (a refresh that gets no slot
        // within the budget wait gives up, and the job is queued again at its next stale read).
        Assert.InRange(reads, 3, 12);
        Assert.InRange(oldest, TimeSpan.Zero, TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task ATeamWaitingOnItsJobs_AndFloodingNewReads_TakesNoTurnsFromAnotherTeamsRefreshes()
    {
        // Team A holds Prefer: wait on all its jobs (their watchers poll in A's turn) and asks for two jobs nobody has
        // read every second, more than the budget's one read a second: its callers never stop waiting.
        var pending = new List<Task<HttpResponseMessage>>();
        var (reads, oldest) = await TeamBPollsOneJobAsync("flood", async (many, second) =>
        {
            if (second == 0)
            {
                pending.AddRange(many.Select(job =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + job);
                    request.Headers.Add("Prefer", "wait=60");
                    return Client.SendAsync(request, Cancel);
                }));
            }

            var fresh = new[] { NewId($"pending-flood-new{second}a-"), NewId($"pending-flood-new{second}b-") };
            await OwnAsync(fresh.Select(static job => (job, "team-a")));
            pending.AddRange(fresh.Select(GetJobAsync));
        });

        // Were refreshes served only once no caller waited, team A's flood would have kept B's job from being read at
        // all. In B's turns it is read every few seconds, its answers never more than a few seconds old: A's watchers'
        // polls may hold the refresh queue's three places for up to the budget wait each, then B's refresh starts in its
        // turn and is admitted in its turn.
        Assert.InRange(reads, 3, 12);
        Assert.InRange(oldest, TimeSpan.Zero, TimeSpan.FromSeconds(10));

        // Every waiter's wait and every read's budget wait runs out. Awaited only once all have ended: an await resuming
        // on the thread that ends a request would run the host's disposal there, and the host would wait for that
        // request to end.
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Eventually.Until(() => pending.TrueForAll(static request => request.IsCompleted), because: "every request of team A's is answered");
        foreach (var request in pending)
        {
            (await request).Dispose();
        }
    }

    /// <summary>
    /// Team A's twelve running jobs and team B's one are each read once (a slot a second; B's last, so its answer is the
    /// youngest). Then, for 24 s, team A does <paramref name="teamAEachSecond"/> and team B polls its job, with one
    /// upstream read a second.
    /// </summary>
    /// <returns>How often B's job was read again, and the oldest answer B was given.</returns>
    private async Task<(int Reads, TimeSpan Oldest)> TeamBPollsOneJobAsync(string tag, Func<string[], int, Task> teamAEachSecond)
    {
        using var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey);
        var many = Enumerable.Range(1, 12).Select(i => NewId($"pending-{tag}-a{i}-")).ToArray();
        var one = NewId($"pending-{tag}-b-");
        await OwnAsync(many.Select(static job => (job, "team-a")).Append((one, "team-b")));
        foreach (var job in many)
        {
            (await GetJobAsync(job)).Dispose();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        (await teamB.GetAsync("/job/" + one, Cancel)).Dispose();
        var before = Upstream.Requests.Count;
        var oldest = TimeSpan.Zero;
        for (var second = 0; second < 24; second++)
        {
            await teamAEachSecond(many, second);
            using (var answer = await teamB.GetAsync("/job/" + one, Cancel))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
                oldest = answer.Headers.Age is { } age && age > oldest ? age : oldest;
            }

            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1, because: $"second {second}'s slot is spent");
        }

        Assert.Equal(24, Upstream.Requests.Count - before);
        return (Upstream.Requests.CountForJob(one) - 1, oldest);
    }

    private Task OwnAsync(IEnumerable<(string Job, string Team)> jobs) => Gateway.OwnJobsAsync(jobs, _clock.GetUtcNow());
}
