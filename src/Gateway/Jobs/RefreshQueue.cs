using System.Diagnostics.Metrics;
using Gateway.Cluster;
using Gateway.Upstream;

namespace Gateway.Jobs;

/// <summary>
/// This replica's reads of running jobs made for callers who are not waiting on them: the refreshes behind stale
/// answers and the long-poll watchers' polls, a second and a half of its budget at a time. The teams they are charged to
/// take turns (<see cref="TeamTurns{T, TPriority}"/>), so a team polling a few jobs has them refreshed within a round
/// or two however many another team polls; within a team, the oldest answer first (a job with waiting callers counted
/// older by <see cref="JobOptions.MaxWatchInterval"/>). A stale read only queues its job (once, however many callers
/// read it meanwhile) and is answered at once; so a replica polled for more running jobs than its budget reads each in
/// turn, never holding more reads in the budget's queue than it can answer within <c>Upstream:BudgetWait</c>, and no
/// job waits behind its team's younger ones. A job nobody reads or waits on is never queued.
/// The replicas share the refreshes out by job (<see cref="ReplicaRing"/>): a job another replica owns is ranked as if
/// its answer were a second younger (at most its team's refresh period here), so its owner, which comes to it at the same
/// age, has claimed its refresh (or read it) by the time this replica does, and this replica only drops it. Should
/// the owner not read it (it died, or the job is polled only here, over one keep-alive connection), this replica reads
/// it that second late.
/// </summary>
internal sealed class RefreshQueue
{
    private readonly Lock _lock = new();
    private readonly TeamTurns<Refresh, DateTimeOffset> _queue = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly UpstreamBudget _budget;
    private readonly ReplicaRing _ring;
    private readonly TimeProvider _time;
    private int _running;

    // Per team, how old the answer was that this replica's latest own refresh of its jobs set out to replace: the
    // team's refresh period now. The teams take turns, so a team with a few jobs has a period of a second or two while
    // another's is minutes; kept per team, as only a team's own period says when its owner comes to its jobs.
    private readonly Dictionary<string, TimeSpan> _periods = new(StringComparer.Ordinal);

    // What another replica's job waits here beyond its owner's turn: a round trip or two, all the owner needs to claim
    // the job's refresh (JobLeases.Refresh), with room to spare on a loaded machine. Before the claim, this replica
    // could only see the owner's answer once shared, so the lag had to cover a whole refresh, budget wait included
    // (twice the measured time, about 3 s on a loaded replica), and a job polled only through a replica that does not
    // own it was read that much late.
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(1);

    public RefreshQueue(UpstreamBudget budget, IMeterFactory meters, ReplicaRing ring, TimeProvider time)
    {
        _budget = budget;
        _ring = ring;
        _time = time;
        meters.Create(Telemetry.GatewayMetrics.MeterName).CreateObservableGauge(
            "gateway.refreshes.waiting", () => Waiting, "{job}", "Running jobs queued for a refresh behind a stale answer or a long-poll watcher's poll, not yet started");
    }

    /// <summary>
    /// How many refreshes run at once: a second and a half of this replica's share of the budget. A refresh spends part
    /// of its time on Redis and thread-pool turns besides its budget wait, so with fewer in flight the budget's queue
    /// runs dry under load (with a quarter of the deployment's rate on each of three replicas, 0.75 s of a share, 20,000
    /// jobs spent 128 reads/s of 150; bench/manyjobs.sh). Refreshes wait behind their team's callers, and another
    /// team's by a turn at most (<see cref="BudgetLane.Background"/>), so more of them never delays a job with no
    /// answer by more than that, and sized by the share none waits near <c>Upstream:BudgetWait</c> however many
    /// replicas there are. A team whose own reads overrun its share can hold these slots with its long-poll watchers'
    /// polls, each for <c>Upstream:BudgetWait</c> at most; a slot freed goes to the next team in turn.
    /// </summary>
    private int Concurrency => Math.Clamp(_budget.JobPollsPerSecond * 3 / 2, 2, 512);

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
    /// <param name="team">The team the refresh is charged to, which takes turns with the others.</param>
    /// <param name="answeredAt">When the answer being served was given: the team's oldest goes first.</param>
    public void Enqueue(string key, string team, DateTimeOffset answeredAt, Func<Task> refresh) => Schedule(key, team, answeredAt, refresh, shared: true);

    /// <summary>
    /// Runs one watcher's poll (<c>Prefer: wait</c>) in turn with the refreshes: ranked as if the job's last answer were
    /// <paramref name="boost"/> older than it is, so a job with callers waiting goes ahead of plain-polled jobs answered
    /// up to that much earlier, and a plain-polled job is still never starved by waiting ones.
    /// </summary>
    /// <param name="polledAt">When the watch last polled (or started).</param>
    public Task<JobRead?> PollForWaitersAsync(string key, string team, DateTimeOffset polledAt, TimeSpan boost, Func<Task<JobRead?>> poll)
    {
        var done = new TaskCompletionSource<JobRead?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Schedule(WaitersPrefix + key, team, polledAt - boost, shared: false, run: async () =>
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
    private bool Schedule(string key, string team, DateTimeOffset rank, Func<Task> run, bool shared)
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
                rank += TimeSpan.FromTicks(Math.Min(_periods.GetValueOrDefault(team).Ticks, Lag.Ticks));
            }

            _queue.Enqueue(team, new Refresh(key, run, paces), rank);
            if (_running >= Concurrency)
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
            try
            {
                await next.Run();
            }
            finally
            {
                lock (_lock)
                {
                    _queued.Remove(next.Key);
                }
            }

            lock (_lock)
            {
                // Fewer at once when another replica joined and this one's share shrank.
                if (_queue.Count == 0 || _running > Concurrency)
                {
                    _running--;
                    return;
                }

                next = Start();
            }
        }
    }

    // Under the lock, with the queue not empty: the oldest of the team whose turn it is.
    private Refresh Start()
    {
        if (_queue.TryDequeue(out var next, out var rank, out var team) && next.Paces)
        {
            _periods[team] = _time.GetUtcNow() - rank;
        }

        return next;
    }

    private readonly record struct Refresh(string Key, Func<Task> Run, bool Paces);
}
