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
/// A replica's refresh queue with the jobs shared out between two replicas: a job the other replica owns is ranked as if
/// its answer were a second younger (at most the refresh period), so its owner, which comes to it at the same age, has
/// taken its fetch lease by then, and this replica still reads it that little late rather than never.
/// </summary>
public sealed class RefreshShareTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly HeldRefreshes _refreshes = new();

    [Fact]
    public async Task AnotherReplicasJob_IsRankedASecondLater_ThenIsRefreshedHere()
    {
        var ring = new ReplicaRing(static () => true);
        ring.Saw([ring.Me, new ReplicaRing(static () => true).Me]);
        var own = Enumerable.Range(0, 1000).Select(static i => $"gw:job:pending-{i}").Where(ring.Owns).Take(5).ToArray();
        var theirs = Enumerable.Range(0, 1000).Select(static i => $"gw:job:pending-{i}").First(key => !ring.Owns(key));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // One job poll a second: two refreshes at a time, the fewest there are.
        using var budget = new UpstreamBudget(Options.Create(new UpstreamOptions { JobPollsPerSecond = 1 }), _clock);
        var queue = new RefreshQueue(budget, services.GetRequiredService<IMeterFactory>(), ring, _clock);
        var t = _clock.GetUtcNow();

        // Two own refreshes start at once; the first ends.
        Enqueue(queue, own[0], t.AddSeconds(-10));
        Enqueue(queue, own[1], t.AddSeconds(-9));
        await Eventually.Until(() => _refreshes.Started.Count == 2, because: "two refreshes run at once");
        _refreshes.Finish(own[0]);

        // An answer 30 s old takes the free slot: the period is 30 s, so the lag is its full second. Their job's
        // answer, 20 s old, ranks as 19 s old: behind an own answer 19.5 s old, ahead of one 18.5 s old.
        Enqueue(queue, own[2], t.AddSeconds(-30));
        await Eventually.Until(() => _refreshes.Started.Count == 3, because: "the slot the first refresh freed is taken");
        Enqueue(queue, theirs, t.AddSeconds(-20));
        Enqueue(queue, own[4], t.AddSeconds(-18.5));
        Enqueue(queue, own[3], t.AddSeconds(-19.5));
        foreach (var (key, started) in new[] { (own[1], 4), (own[2], 5), (own[3], 6) })
        {
            _refreshes.Finish(key);
            await Eventually.Until(() => _refreshes.Started.Count == started, because: "a slot freed starts the next");
        }

        Assert.Equal([own[0], own[1]], _refreshes.Started.Take(2).OrderBy(key => Array.IndexOf(own, key)));
        Assert.Equal([own[2], own[3], theirs, own[4]], _refreshes.Started.Skip(2));
    }

    private void Enqueue(RefreshQueue queue, string key, DateTimeOffset answeredAt) => _refreshes.Enqueue(queue, key, "team-a", answeredAt);
}
