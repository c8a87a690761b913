using System.Diagnostics.Metrics;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Jobs;

/// <summary>
/// A <see cref="RefreshQueue"/> on a budget of one job poll a second (two refreshes at a time, the fewest there are),
/// and refreshes handed straight to it that note when they start and run until the test finishes them: the order the
/// queue starts them in, with the test deciding when a slot frees.
/// </summary>
internal sealed class HeldRefreshes : IDisposable
{
    private readonly List<string> _started = [];
    private readonly Dictionary<string, TaskCompletionSource> _running = [];
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly UpstreamBudget _budget;
    private readonly RefreshQueue _queue;

    public HeldRefreshes(ReplicaRing ring, TimeProvider clock)
    {
        _budget = new UpstreamBudget(Options.Create(new UpstreamOptions { JobPollsPerSecond = 1 }), clock);
        _queue = new RefreshQueue(_budget, _services.GetRequiredService<IMeterFactory>(), ring, clock);
    }

    public IReadOnlyList<string> Started
    {
        get
        {
            lock (_started)
            {
                return [.. _started];
            }
        }
    }

    public void Enqueue(string key, string team, DateTimeOffset answeredAt)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_started)
        {
            _running[key] = finished;
        }

        _queue.Enqueue(key, team, answeredAt, () =>
        {
            lock (_started)
            {
                _started.Add(key);
            }

            return finished.Task;
        });
    }

    public void Finish(string key)
    {
        lock (_started)
        {
            _running[key].SetResult();
        }
    }

    public void Dispose()
    {
        _budget.Dispose();
        _services.Dispose();
    }
}
