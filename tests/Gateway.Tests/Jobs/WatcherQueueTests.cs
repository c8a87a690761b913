using System.Text;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;

namespace Gateway.Tests.Jobs;

/// <summary>
/// Long-poll watchers poll through the replica's refresh queue: more watched jobs than the budget reads are polled in
/// turn, least recently polled first, and a job that completes is seen within one turn of the queue. Driven by a fake
/// clock, which the watchers' timers and the upstream budget both run on: one job poll a second. (With a budget wait
/// this long the budget's own queue would keep the same turns; what the refresh queue adds, few reads in flight
/// and one order with the refreshes behind stale answers, is pinned by <c>RefreshOrderTests</c>.)
/// </summary>
public sealed class WatcherQueueTests : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Time => _clock;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:MaxWait"] = "00:01:00",
        ["Jobs:WatchInterval"] = "00:00:01",
        ["Jobs:MaxWatchInterval"] = "00:00:01",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:BudgetWait"] = "00:01:00",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task SixWatchedJobs_OneReadASecond_ArePolledInTurn_AndACompletionIsSeenWithinATurn()
    {
        var jobs = Enumerable.Range(1, 6).Select(static i => NewId($"watched{i}-")).ToArray();
        var done = new bool[jobs.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            var (id, slot) = (jobs[i], i);
            Upstream.Script.Respond(id, () => new ScriptedResponse(
                200, Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"{{(Volatile.Read(ref done[slot]) ? "Completed" : "Pending")}}"}""")));
        }

        // Each caller's own first read waits for a slot like any read; its watch begins once it has an answer.
        var watcher = Gateway.Services.GetRequiredService<JobWatcher>();
        var waits = jobs.Select(WaitAsync).ToList();
        for (var second = 0; second < 30 && watcher.Watching < jobs.Length; second++)
        {
            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1, because: $"second {second}'s slot is spent");
        }

        await Eventually.Until(() => watcher.Watching == jobs.Length, because: "every job is watched");

        // Eighteen seconds, one upstream read each: three turns of six watched jobs.
        var start = Upstream.Requests.Count;
        for (var second = 0; second < 18; second++)
        {
            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1, because: $"second {second}'s slot goes to a watcher");
        }

        // In turn: each job about three times, and between two polls of a job every other job's, give or take the
        // reordering of the polls under way. Three polls run at once (RefreshQueue), started in turn, and reach the
        // budget in whatever order their threads get there, so a poll may overtake the two started just before it.
        var polled = Upstream.Requests.All.Skip(start).Select(static r => r.Path["/job/".Length..]).ToList();
        Assert.All(jobs, job => Assert.InRange(polled.Count(p => p == job), 2, 4));
        foreach (var job in jobs)
        {
            var at = polled.Select((p, i) => (p, i)).Where(x => x.p == job).Select(static x => x.i).ToList();
            Assert.All(at.Zip(at.Skip(1)), pair => Assert.InRange(pair.Second - pair.First, jobs.Length - 2, jobs.Length + 2));
        }

        // The job polled longest ago completes: its waiter hears of it within one turn (six seconds, and the two a poll
        // may be overtaken by).
        var next = jobs.MinBy(job => polled.LastIndexOf(job))!;
        var index = Array.IndexOf(jobs, next);
        Volatile.Write(ref done[index], true);
        for (var second = 0; second < jobs.Length + 2 && !waits[index].IsCompleted; second++)
        {
            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1 || waits[index].IsCompleted);
        }

        await Eventually.Until(() => waits[index].IsCompleted, because: "the completed job's waiter is answered within a turn");
        using var answer = await waits[index];
        Assert.Contains("\"Completed\"", await answer.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.All(waits.Where((_, i) => i != index), wait => Assert.False(wait.IsCompleted));

        for (var i = 0; i < jobs.Length; i++)
        {
            Volatile.Write(ref done[i], true);
        }

        // Every other job completes too, and each waiter hears of it within a turn (and two).
        for (var second = 0; second < jobs.Length + 2 && !waits.TrueForAll(static w => w.IsCompleted); second++)
        {
            var reads = Upstream.Requests.Count;
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Eventually.Until(() => Upstream.Requests.Count == reads + 1 || waits.TrueForAll(static w => w.IsCompleted));
        }

        await Eventually.Until(() => waits.TrueForAll(static w => w.IsCompleted), because: "every waiter is answered within a turn");

        foreach (var wait in waits)
        {
            (await wait).Dispose();
        }
    }

    private Task<HttpResponseMessage> WaitAsync(string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        request.Headers.Add("Prefer", "wait=60");
        return Client.SendAsync(request, Cancel);
    }
}
