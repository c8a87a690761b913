using Gateway.Cluster;

namespace Gateway.Tests.Cluster;

/// <summary>
/// The ring that shares running jobs' refreshes out between replicas: one owner per job in every replica's view, an
/// even split, and a replica leaving moves only its own jobs; without Redis, or before the census counts it, a
/// replica owns every job.
/// </summary>
public sealed class ReplicaRingTests
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 3000).Select(static i => $"gw:job:pending-{i}")];

    [Fact]
    public void ThreeReplicas_OwnEachJobOnce_AboutAThirdEach_AndALeavingOneMovesOnlyItsOwn()
    {
        var replicas = Enumerable.Range(0, 3).Select(static _ => new ReplicaRing(static () => true)).ToArray();
        foreach (var replica in replicas)
        {
            replica.Saw([.. replicas.Select(static r => r.Me)]);
        }

        var owners = Keys.ToDictionary(static key => key, key => replicas.Where(r => r.Owns(key)).ToArray());
        Assert.All(owners, static o => Assert.Single(o.Value));
        Assert.All(replicas, r => Assert.InRange(owners.Count(o => o.Value[0] == r), 900, 1100));

        // The third leaves: the two left see each other only.
        foreach (var replica in replicas.Take(2))
        {
            replica.Saw([.. replicas.Take(2).Select(static r => r.Me)]);
        }

        foreach (var key in Keys)
        {
            var now = replicas.Take(2).Where(r => r.Owns(key)).ToArray();
            Assert.Single(now);
            if (owners[key][0] != replicas[2])
            {
                Assert.Same(owners[key][0], now[0]);
            }
        }
    }

    [Fact]
    public void WithoutRedis_OrBeforeTheCensusCountsIt_AReplicaOwnsEveryJob()
    {
        var reachable = true;
        var ring = new ReplicaRing(() => reachable);
        var other = new ReplicaRing(static () => true);
        Assert.All(Keys, key => Assert.True(ring.Owns(key)));

        ring.Saw([other.Me]);
        Assert.All(Keys, key => Assert.True(ring.Owns(key)));

        ring.Saw([ring.Me, other.Me]);
        Assert.Contains(Keys, key => !ring.Owns(key));

        reachable = false;
        Assert.All(Keys, key => Assert.True(ring.Owns(key)));
    }
}
