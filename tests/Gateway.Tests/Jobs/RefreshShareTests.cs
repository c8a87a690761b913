using Gateway.Cluster;
using Gateway.Tests.Infrastructure;
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

    [Fact]
    public async Task AnotherReplicasJob_IsRankedASecondLater_ThenIsRefreshedHere()
    {
        var ring = new ReplicaRing(static () => true);
        ring.Saw([ring.Me, new ReplicaRing(static () => true).Me]);
        var own = Enumerable.Range(0, 1000).Select(static i => $"gw:job:pending-{i}").Where(ring.Owns).Take(5).ToArray();
        var theirs = Enumerable.Range(0, 1000).Select(static i => $"gw:job:pending-{i}").First(key => !ring.Owns(key));
        using var refreshes = new HeldRefreshes(ring, _clock);
        var t = _clock.GetUtcNow();

        // Two own refreshes start at once; the first ends.
        refreshes.Enqueue(own[0], "team-a", t.AddSeconds(-10));
        refreshes.Enqueue(own[1], "team-a", t.AddSeconds(-9));
        await Eventually.Until(() => refreshes.Started.Count == 2, because: "two refreshes run at once");
        refreshes.Finish(own[0]);

        // An answer 30 s old takes the free slot: the period is 30 s, so the lag is its full second. Their job's
        // answer, 20 s old, ranks as 19 s old: behind an own answer 19.5 s old, ahead of one 18.5 s old.
        refreshes.Enqueue(own[2], "team-a", t.AddSeconds(-30));
        await Eventually.Until(() => refreshes.Started.Count == 3, because: "the slot the first refresh freed is taken");
        refreshes.Enqueue(theirs, "team-a", t.AddSeconds(-20));
        refreshes.Enqueue(own[4], "team-a", t.AddSeconds(-18.5));
        refreshes.Enqueue(own[3], "team-a", t.AddSeconds(-19.5));
        foreach (var (key, started) in new[] { (own[1], 4), (own[2], 5), (own[3], 6) })
        {
            refreshes.Finish(key);
            await Eventually.Until(() => refreshes.Started.Count == started, because: "a slot freed starts the next");
        }

        Assert.Equal([own[0], own[1]], refreshes.Started.Take(2).OrderBy(key => Array.IndexOf(own, key)));
        Assert.Equal([own[2], own[3], theirs, own[4]], refreshes.Started.Skip(2));
    }
}
