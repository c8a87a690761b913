using Gateway.Jobs;

namespace Gateway.Tests.Jobs;

/// <summary>
/// Refreshes handed straight to a <see cref="RefreshQueue"/> that note when they start and run until the test finishes
/// them: the order the queue starts them in, with the test deciding when a slot frees.
/// </summary>
internal sealed class HeldRefreshes
{
    private readonly List<string> _started = [];
    private readonly Dictionary<string, TaskCompletionSource> _running = [];

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

    public void Enqueue(RefreshQueue queue, string key, string team, DateTimeOffset answeredAt)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_started)
        {
            _running[key] = finished;
        }

        queue.Enqueue(key, team, answeredAt, () =>
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
}
