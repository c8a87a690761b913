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
/// A replica's refresh queue with the jobs shared out between two replicas: a job the other replica owns waits one
/// refresh period (the age its own latest refresh replaced) behind its answer, so its owner reads it first, and is
/// still read by this replica one period late rather than never.
/// </summary>
public sealed class RefreshShareTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly List<string> _started = [];
    private readonly Dictionary<string, TaskCompletionSource> _running = [];

    [Fact]
    public async Task AnotherReplicasJob_WaitsOnePeriodBehindItsAnswer_ThenIsRefreshedHere()
    {
        var ring = new ReplicaRing(static () => true);
        ring.Saw([ring.Me, new ReplicaRing(static () => true).Me]);
        var own = Enumerable.Range(0, 1000).Select(static i => $"gw:job:pending-{i}").Where(ring.Owns).Take(4).ToArray();
        var theirs = Enumerable.Range(0, 1000).Select(static i => $"gw:job:pending-{i}").First(key => !ring.Owns(key));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // Eight job polls a second: two refreshes at a time.
        var queue = new RefreshQueue(Options.Create(new UpstreamOptions { JobPollsPerSecond = 8 }), services.GetRequiredService<IMeterFactory>(), ring, _clock);
        var now = _clock.GetUtcNow();

        // Two own refreshes start at once, of answers 10 s and 9 s old: the period is now 9 s.
        Enqueue(queue, own[0], now.AddSeconds(-10));
        Enqueue(queue, own[1], now.AddSeconds(-9));
        await Eventually.Until(() => Started().Count == 2, because: "two refreshes run at once");

        // Their job, answered longest ago of all, ranks as if 9 s younger: behind an own answer 12 s old, ahead of one 5 s old.
        Enqueue(queue, theirs, now.AddSeconds(-20));
        Enqueue(queue, own[2], now.AddSeconds(-5));
        Enqueue(queue, own[3], now.AddSeconds(-12));
        for (var done = 0; done < 3; done++)
        {
            Finish(Started()[done]);
            await Eventually.Until(() => Started().Count == 3 + done, because: "a slot freed starts the next");
        }

        Assert.Equal([own[0], own[1]], Started().Take(2).OrderBy(key => Array.IndexOf(own, key)));
        Assert.Equal([own[3], theirs, own[2]], Started().Skip(2));
    }

    private IReadOnlyList<string> Started()
    {
        lock (_started)
        {
            return [.. _started];
        }
    }

    private void Enqueue(RefreshQueue queue, string key, DateTimeOffset answeredAt)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_started)
        {
            _running[key] = finished;
        }

        queue.Enqueue(key, answeredAt, () =>
        {
            lock (_started)
            {
                _started.Add(key);
            }

            return finished.Task;
        });
    }

    private void Finish(string key)
    {
        lock (_started)
        {
            _running[key].SetResult();
        }
    }
}
