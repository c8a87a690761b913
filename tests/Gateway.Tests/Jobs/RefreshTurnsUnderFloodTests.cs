using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// A team that overruns its share of the budget with reads of its own (callers waiting on all its running jobs, and
/// more new jobs a second than the budget reads) takes no turns from another team's refreshes: its reads wait in its
/// own turns, ahead of its own refreshes only. With the default budget wait, so a read of the flooding team's that
/// gets no slot gives up as it would in production, and frees its place. Driven by a fake clock.
/// </summary>
public sealed class RefreshTurnsUnderFloodTests : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Time => _clock;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:01",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:BudgetWait"] = "00:00:02",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task ATeamWaitingOnItsJobs_AndFloodingNewReads_TakesNoTurnsFromAnotherTeamsRefreshes()
    {
        using var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey);
        var many = Enumerable.Range(1, 12).Select(static i => NewId($"pending-flood-a{i}-")).ToArray();
        var one = NewId("pending-flood-b-");
        await OwnAsync(many.Select(static job => (job, "team-a")).Append((one, "team-b")));
        foreach (var job in many)
        {
            (await GetJobAsync(job)).Dispose();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        (await teamB.GetAsync("/job/" + one, Cancel)).Dispose();
        var before = Upstream.Requests.Count;

        // Team A holds Prefer: wait on all its jobs (their watchers poll in A's turn) and asks for two jobs nobody has
        // read every second, more than the budget's one read a second: its callers never stop waiting.
        var waits = many.Select(job =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + job);
            request.Headers.Add("Prefer", "wait=60");
            return Client.SendAsync(request, Cancel);
        }).ToList();
        var floods = new List<Task<HttpResponseMessage>>();
        var oldestForB = TimeSpan.Zero;
        for (var second = 0; second < 24; second++)
        {
            var fresh = new[] { NewId($"pending-flood-new{second}a-"), NewId($"pending-flood-new{second}b-") };
            await OwnAsync(fresh.Select(static job => (job, "team-a")));
            floods.AddRange(fresh.Select(GetJobAsync));
            using (var answer = await teamB.GetAsync("/job/" + one, Cancel))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
                oldestForB = answer.Headers.Age is { } age && age > oldestForB ? age : oldestForB;
            }

            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1, because: $"second {second}'s slot is spent");
        }

        // Were refreshes served only once no caller waited, team A's flood would have kept B's job from being read at
        // all. In B's turns it is read every few seconds, its answers never more than a few seconds old.
        Assert.Equal(24, Upstream.Requests.Count - before);
        Assert.InRange(Upstream.Requests.CountForJob(one) - 1, 4, 12);
        Assert.InRange(oldestForB, TimeSpan.Zero, TimeSpan.FromSeconds(6));

        _clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var pending in waits.Concat(floods))
        {
            (await pending).Dispose();
        }
    }

    private Task OwnAsync(IEnumerable<(string Job, string Team)> jobs) => Gateway.OwnJobsAsync(jobs, _clock.GetUtcNow());
}
