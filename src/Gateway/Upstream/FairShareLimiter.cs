namespace Gateway.Upstream;

/// <summary>
/// Admits calls at a fixed rate and, when callers must wait, serves the teams that wait in turn: one admission per
/// team per round. A team flooding the gateway therefore only lengthens its own queue; a quiet team's call waits at
/// most one round. The bucket holds one token and refills at <c>rate - 1</c> per second, so any one-second window
/// sees at most <c>rate</c> admissions. While callers wait, the bucket may hold a second token: a grant timer that
/// fires late (a busy thread pool) would otherwise throw away the time it was late by, and with every grant 3 ms late a
/// steady queue lost a tenth of the rate (<c>FairShareLimiterTests</c>). The last second's admissions are kept, and no
/// more than <c>rate - 1</c> (the refill rate) are let through in any second, so catching up never bunches
/// admissions: the upstream, which sees them with network jitter, keeps the margin of one a second it had.
/// </summary>
/// <remarks>
/// System.Threading.RateLimiting offers partitioned limiters with fixed per-partition rates, which either waste the
/// budget of idle teams or let one team take all of it; sharing one rate among whoever is waiting needs this queue.
/// </remarks>
internal sealed class FairShareLimiter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private double _refillPerSecond;
    private readonly Dictionary<string, Queue<TaskCompletionSource<bool>>> _queues = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();
    private readonly Queue<long> _admittedAt = new();
    private readonly Queue<TaskCompletionSource<bool>> _urgent = new();
    private int _rate;
    private readonly ITimer _timer;
    private double _tokens = 1;
    private long _refilledAt;
    private int _waiting;

    public FairShareLimiter(int ratePerSecond, TimeProvider time)
    {
        _time = time;
        _rate = WindowFor(ratePerSecond);
        _refillPerSecond = RefillFor(ratePerSecond);
        _refilledAt = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((FairShareLimiter)state!).Grant(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Calls admitted since this limiter was made.</summary>
    public long Admissions { get; private set; }

    /// <summary>How long a new caller would wait with the current queue.</summary>
    public TimeSpan EstimatedWait => TimeSpan.FromSeconds((Volatile.Read(ref _waiting) + 1) / _refillPerSecond);

    /// <summary>Whether a caller arriving now would be admitted at once (nobody queued, a token in the bucket).</summary>
    public bool HasSlotNow
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _waiting == 0 && _tokens >= 1 && InWindow() < _rate;
            }
        }
    }

    /// <param name="urgent">Served before every team's queue: for the rare call that ends work (a completion webhook's read).</param>
    /// <returns>True when admitted; false when no slot came within <paramref name="maxWait"/>.</returns>
    public async ValueTask<bool> AcquireAsync(string team, TimeSpan maxWait, CancellationToken cancellationToken, bool urgent = false)
    {
        TaskCompletionSource<bool> waiter;
        lock (_lock)
        {
            Refill();
            if (_waiting == 0 && _tokens >= 1 && InWindow() < _rate)
            {
                Admit();
                return true;
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (urgent)
            {
                _urgent.Enqueue(waiter);
            }
            else
            {
                if (!_queues.TryGetValue(team, out var queue))
                {
                    _queues[team] = queue = new Queue<TaskCompletionSource<bool>>();
                    _turns.AddLast(team);
                }

                queue.Enqueue(waiter);
            }

            _waiting++;
            ScheduleNextGrant();
        }

        using var timeout = new CancellationTokenSource(maxWait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        await using var registration = linked.Token.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetResult(false), waiter);
        var admitted = await waiter.Task;
        cancellationToken.ThrowIfCancellationRequested();
        return admitted;
    }

    /// <summary>Changes the rate from now on: tokens already earned are kept, later ones come at the new pace.</summary>
    public void SetRate(int ratePerSecond)
    {
        lock (_lock)
        {
            Refill();
            _rate = WindowFor(ratePerSecond);
            _refillPerSecond = RefillFor(ratePerSecond);
            ScheduleNextGrant();
        }
    }

    public void Dispose() => _timer.Dispose();

    private static double RefillFor(int ratePerSecond) => Math.Max(ratePerSecond - 1, 0.5);

    // Admissions allowed in any one second: the refill rate, and at least one.
    private static int WindowFor(int ratePerSecond) => Math.Max(ratePerSecond - 1, 1);

    private void Grant()
    {
        lock (_lock)
        {
            Refill();
            while (_tokens >= 1 && InWindow() < _rate && _urgent.TryDequeue(out var first))
            {
                _waiting--;
                if (first.TrySetResult(true))
                {
                    Admit();
                }
            }

            while (_tokens >= 1 && _urgent.Count == 0 && _turns.First is { } turn && InWindow() < _rate)
            {
                var queue = _queues[turn.Value];
                _turns.RemoveFirst();
                var waiter = queue.Dequeue();
                _waiting--;
                if (queue.Count > 0)
                {
                    _turns.AddLast(turn.Value);
                }
                else
                {
                    _queues.Remove(turn.Value);
                }

                // A waiter that timed out or left already holds false; it costs no token.
                if (waiter.TrySetResult(true))
                {
                    Admit();
                }
            }

            ScheduleNextGrant();
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_waiting > 0 ? 2 : 1, _tokens + _time.GetElapsedTime(_refilledAt, now).TotalSeconds * _refillPerSecond);
        _refilledAt = now;
    }

    private void Admit()
    {
        Admissions++;
        _tokens -= 1;
        _admittedAt.Enqueue(_time.GetTimestamp());
    }

    // Admissions in the last second; older ones are forgotten.
    private int InWindow()
    {
        var now = _time.GetTimestamp();
        while (_admittedAt.TryPeek(out var at) && _time.GetElapsedTime(at, now) >= TimeSpan.FromSeconds(1))
        {
            _admittedAt.Dequeue();
        }

        return _admittedAt.Count;
    }

    private void ScheduleNextGrant()
    {
        if (_waiting > 0)
        {
            var due = TimeSpan.FromSeconds(Math.Max(0, 1 - _tokens) / _refillPerSecond);
            if (InWindow() >= _rate && _admittedAt.TryPeek(out var oldest))
            {
                // A token is due sooner than the second's count allows: wait for the oldest admission to leave it.
                var leaves = TimeSpan.FromSeconds(1) - _time.GetElapsedTime(oldest);
                due = due > leaves ? due : leaves;
            }

            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }
}
