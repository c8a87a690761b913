using System.Diagnostics.Metrics;
using Gateway.Cluster;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

/// <summary>
/// This replica's reads of running jobs made for callers who are not waiting on them: the refreshes behind stale
/// answers and the long-poll watchers' polls, started a few at a time, the job whose answer is oldest first (a job
/// with waiting callers counted older by <see cref="JobOptions.MaxWatchInterval"/>). A stale read only queues its job
/// (once, however many callers read it meanwhile) and is answered at once; so a replica polled for more running jobs
/// than its budget reads each in turn, never holding more reads in the budget's queue than it can answer within
/// <c>Upstream:BudgetWait</c>, and no job waits behind younger ones. A job nobody reads or waits on is never queued.
/// The replicas share the refreshes out by job (<see cref="ReplicaRing"/>): a job another replica owns is ranked as if
/// its answer were younger by twice what this replica's own refreshes take (at least a second, at most its refresh
/// period), so its owner, which reads it at the same age, has done so before this replica comes to it, and this
/// replica only drops it. Should the owner not read it (it died, or the job is polled only here, over one keep-alive
/// connection), this replica reads it that little late.
/// </summary>
internal sealed class RefreshQueue
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<Refresh, DateTimeOffset> _queue = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly int _concurrency;
    private readonly ReplicaRing _ring;
    private readonly TimeProvider _time;
    private int _running;

    // How old the answer was that this replica's latest own refresh set out to replace (its refresh period now), and
    // how long its own refreshes take from start to end (a moving average).
    private TimeSpan _period;
    private TimeSpan _took;

    private static readonly TimeSpan LeastLag = TimeSpan.FromSeconds(1);

    public RefreshQueue(IOptions<UpstreamOptions> upstream, IMeterFactory meters, ReplicaRing ring, TimeProvider time)
    {
        _ring = ring;
        _time = time;
        // A quarter of a second's budget in flight (of the deployment's, on each replica, so about 0.75 s of a replica's
        // share with three): a refresh spends most of its time on Redis and thread-pool turns besides its budget wait,
        // and with a tenth in flight a loaded deployment left a seventh of the budget unspent (130 of 150 reads/s at
        // 2,000 jobs, bench/manyjobs.sh; 139 with a quarter). Still few enough that none waits near BudgetWait.
        _concurrency = Math.Clamp(upstream.Value.JobPollsPerSecond / 4, 2, 64);
        meters.Create(Telemetry.GatewayMetrics.MeterName).CreateObservableGauge(
            "gateway.refreshes.waiting", () => Waiting, "{job}", "Running jobs queued for a refresh behind a stale answer or a long-poll watcher's poll, not yet started");
    }

    /// <summary>Jobs queued and not yet started.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Whether a refresh of the job <paramref name="key"/> is queued or running.</summary>
    public bool Holds(string key)
    {
        lock (_lock)
        {
            return _queued.Contains(key);
        }
    }

    /// <summary>Queues <paramref name="refresh"/> for the job <paramref name="key"/> unless one is queued or running.</summary>
    /// <param name="answeredAt">When the answer being served was given: the oldest goes first.</param>
    public void Enqueue(string key, DateTimeOffset answeredAt, Func<Task> refresh) => Schedule(key, answeredAt, refresh, shared: true);

    /// <summary>
    /// Runs one watcher's poll (<c>Prefer: wait</c>) in turn with the refreshes: ranked as if the job's last answer were
    /// <paramref name="boost"/> older than it is, so a job with callers waiting goes ahead of plain-polled jobs answered
    /// up to that much earlier, and a plain-polled job is still never starved by waiting ones.
    /// </summary>
    /// <param name="polledAt">When the watch last polled (or started).</param>
    public Task<JobRead?> PollForWaitersAsync(string key, DateTimeOffset polledAt, TimeSpan boost, Func<Task<JobRead?>> poll)
    {
        var done = new TaskCompletionSource<JobRead?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Schedule(WaitersPrefix + key, polledAt - boost, shared: false, run: async () =>
        {
            try
            {
                done.TrySetResult(await poll());
            }
            catch (Exception exception)
            {
                done.TrySetException(exception);
            }
        });

        // One watch per job polls one at a time, so its key is never queued twice; were it, the running poll answers.
        return queued ? done.Task : Task.FromResult<JobRead?>(null);
    }

    private const string WaitersPrefix = "wait:";

    /// <param name="shared">
    /// A refresh, shared out between the replicas: one this replica owns keeps its rank and paces the queue (its
    /// answer's age when it starts is this replica's refresh period); another's is ranked the lag later. Worked out
    /// only for a job not already queued, so the many stale reads of a queued job cost one set look-up each.
    /// </param>
    private bool Schedule(string key, DateTimeOffset rank, Func<Task> run, bool shared)
    {
        Refresh first;
        lock (_lock)
        {
            if (!_queued.Add(key))
            {
                return false;
            }

            var paces = shared && _ring.Owns(key);
            if (shared && !paces)
            {
                rank += TimeSpan.FromTicks(Math.Min(_period.Ticks, Math.Max(LeastLag.Ticks, 2 * _took.Ticks)));
            }

            _queue.Enqueue(new Refresh(key, run, paces), rank);
            if (_running >= _concurrency)
            {
                return true;
            }

            // Taken here, not by the new task when it runs, so the order never depends on when a thread is free.
            _running++;
            first = Start();
        }

        // Off the caller's thread: the stale answer must not wait for the refresh's first steps.
        _ = Task.Run(() => PumpAsync(first));
        return true;
    }

    private async Task PumpAsync(Refresh next)
    {
        while (true)
        {
            var started = _time.GetTimestamp();
            try
            {
                await next.Run();
            }
            finally
            {
                var took = _time.GetElapsedTime(started);
                lock (_lock)
                {
                    _queued.Remove(next.Key);
                    if (next.Paces)
                    {
                        _took = _took == TimeSpan.Zero ? took : _took + (took - _took) / 8;
                    }
                }
            }

            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _running--;
                    return;
                }

                next = Start();
            }
        }
    }

    // Under the lock, with the queue not empty.
    private Refresh Start()
    {
        _queue.TryDequeue(out var next, out var rank);
        if (next.Paces)
        {
            _period = _time.GetUtcNow() - rank;
        }

        return next;
    }

    private readonly record struct Refresh(string Key, Func<Task> Run, bool Paces);
}
