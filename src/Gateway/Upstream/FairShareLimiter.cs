namespace Gateway.Upstream;

/// <summary>
/// Admits calls at a fixed rate and, when callers must wait, serves the teams that wait in turn: one admission per
/// team per round. A team flooding the gateway therefore only lengthens its own queue; a quiet team's call waits at
/// most one round. Calls nobody waits on (refreshes behind answers already given) take the turns of the teams they are
/// charged to, after each team's callers: a team's first read of a job is not held up by its own refreshes, and no
/// team's flood of reads holds up another's refreshes. A completion webhook's read goes ahead of them all
/// (<see cref="TeamTurns{T, TPriority}"/>, <see cref="BudgetLane"/>). The bucket holds one token and refills at
/// <c>rate - 1</c> per second, so any one-second window sees at most <c>rate</c> admissions. With a reserve for urgent
/// calls (when completion webhooks are on) it holds two, the second for urgent calls only, and refills at
/// <c>rate - 2</c>: the same ceiling, a read a second less for everyone else, and a webhook's read that finds the
/// reserve there goes at once instead of waiting for the next token's grant timer, which a busy thread pool runs late
/// (73 ms at p99 at 20,000 running jobs in bench/manyjobs.sh). It keeps nothing of the
/// time a late grant timer was late by, and that loss is deliberate: a timer's callback and an admitted call's send
/// wait on the same busy thread pool, so the seconds in which timers run late are those in which sends bunch on their
/// way to the upstream. Two ways of keeping the lost time were tried and dropped: a token carried beyond the bucket
/// (with a count of the last second as the ceiling), and a bucket of about 20 ms of the rate refilling at the rest.
/// The second spent 143 and 125 job reads/s of 150 at 2,000 and 20,000 running jobs against 137 and 119
/// (bench/manyjobs.sh), but the upstream then counted more calls in a sliding second than the rate (31 of 30) in one
/// budget test run of three on an idle machine, and in every run on a loaded one; this bucket stayed within the rate
/// in all of them.
/// </summary>
/// <remarks>
/// System.Threading.RateLimiting offers partitioned limiters with fixed per-partition rates, which either waste the
/// budget of idle teams or let one team take all of it; sharing one rate among whoever is waiting needs this queue.
/// </remarks>
internal sealed class FairShareLimiter : IDisposable
{
    /// <summary>Below this rate a reserve would cost more than a tenth of the budget, so none is kept.</summary>
    public const int MinRateForReserve = 10;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly bool _reserveForUrgent;
    private double _refillPerSecond;
    // Tokens only an urgent call may take (0 or 1): other calls are admitted with more than this in the bucket.
    private int _reserve;
    private readonly Queue<TaskCompletionSource<bool>> _urgent = new();
    // One round of the teams for callers and refreshes alike: in its turn a team's callers go before its refreshes
    // (Behind), each first come first served.
    private readonly TeamTurns<TaskCompletionSource<bool>, (bool Behind, long Arrival)> _turns = new();
    private readonly ITimer _timer;
    private double _tokens;
    private long _refilledAt;
    private int _waiting;
    private int _behind;
    private long _arrivals;

    /// <param name="reserveForUrgent">Keep a token for urgent calls (<see cref="BudgetLane.Urgent"/>) at rates of
    /// <see cref="MinRateForReserve"/> and more.</param>
    public FairShareLimiter(int ratePerSecond, TimeProvider time, bool reserveForUrgent = false)
    {
        _time = time;
        _reserveForUrgent = reserveForUrgent;
        SetRefill(ratePerSecond);
        _tokens = Capacity;
        _refilledAt = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((FairShareLimiter)state!).Grant(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Calls admitted since this limiter was made.</summary>
    public long Admissions { get; private set; }

    /// <summary>Calls waiting for a slot now, in every lane.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// How long a new caller would wait with the current queue. Background calls are not counted: a caller goes before
    /// its own team's, and another team's take only that team's turns, a slot a round at most.
    /// </summary>
    public TimeSpan EstimatedWait => TimeSpan.FromSeconds((Volatile.Read(ref _waiting) - Volatile.Read(ref _behind) + 1) / _refillPerSecond);

    /// <summary>Whether a caller arriving now would be admitted at once (nobody queued, a token in the bucket).</summary>
    public bool HasSlotNow
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _waiting == 0 && _tokens >= NeededBy(urgent: false);
            }
        }
    }

    /// <param name="lane">Where the call waits: in its team's turn, before every team, or after them all.</param>
    /// <returns>True when admitted; false when no slot came within <paramref name="maxWait"/>.</returns>
    public async ValueTask<bool> AcquireAsync(string team, TimeSpan maxWait, CancellationToken cancellationToken, BudgetLane lane = BudgetLane.Caller)
    {
        TaskCompletionSource<bool> waiter;
        lock (_lock)
        {
            Refill();
            // An urgent call may take the reserve though others wait.
            var urgent = lane == BudgetLane.Urgent;
            if ((urgent ? _urgent.Count : _waiting) == 0 && _tokens >= NeededBy(urgent))
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
                var behind = lane == BudgetLane.Background;
                _turns.Enqueue(team, waiter, (behind, _arrivals++));
                _behind += behind ? 1 : 0;
            }

            _waiting++;
            Serve();
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
            SetRefill(ratePerSecond);
            Serve();
        }
    }

    public void Dispose() => _timer.Dispose();

    // Refilled at the rate less the bucket's capacity, so that no one-second window admits more than the rate.
    private void SetRefill(int ratePerSecond)
    {
        _reserve = _reserveForUrgent && ratePerSecond >= MinRateForReserve ? 1 : 0;
        _refillPerSecond = Math.Max(ratePerSecond - Capacity, 0.5);
    }

    // One token, and the reserve.
    private int Capacity => 1 + _reserve;

    // The tokens a call needs in the bucket to be admitted: an urgent one any token, the others one beyond the reserve.
    private int NeededBy(bool urgent) => urgent ? 1 : Capacity;

    // What the first waiter needs.
    private int Needed => NeededBy(urgent: _urgent.Count > 0);

    private void Grant()
    {
        lock (_lock)
        {
            Serve();
        }
    }

    // Under the lock: admits waiters while tokens last, then sets the timer for the next token.
    private void Serve()
    {
        while (true)
        {
            Refill();
            AdmitWaiters();
            if (_waiting == 0)
            {
                return;
            }

            // Rounded up to a whole tick: a timer due a hair early would find the token not quite there, and be set for
            // no time at all, again and again, on a clock that only moves between callbacks.
            var due = TimeSpan.FromTicks((long)Math.Ceiling((Needed - _tokens) / _refillPerSecond * TimeSpan.TicksPerSecond));
            _timer.Change(due, Timeout.InfiniteTimeSpan);

            // A timer counts its due time from the clock as it reads it when set, which may already be past the reading
            // the tokens were counted at: a token earned in between would then be granted a whole step late (on a
            // fake clock, at the next step; WatcherQueueTests saw a second with no read). Counted again, and granted now.
            Refill();
            if (_tokens < Needed)
            {
                return;
            }
        }
    }

    private void AdmitWaiters()
    {
        while (_tokens >= NeededBy(urgent: true) && _urgent.TryDequeue(out var first))
        {
            _waiting--;
            if (first.TrySetResult(true))
            {
                Admit();
            }
        }

        while (_tokens >= NeededBy(urgent: false) && _urgent.Count == 0 && _turns.TryDequeue(out var waiter, out var place, out _))
        {
            _waiting--;
            _behind -= place.Behind ? 1 : 0;
            // A waiter that timed out or left already holds false; it costs no token.
            if (waiter.TrySetResult(true))
            {
                Admit();
            }
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(Capacity, _tokens + _time.GetElapsedTime(_refilledAt, now).TotalSeconds * _refillPerSecond);
        // A token earned exactly when the grant timer was due must count as whole despite the sum's rounding.
        if (Math.Abs(_tokens - Math.Round(_tokens)) < 1e-9)
        {
            _tokens = Math.Round(_tokens);
        }
        _refilledAt = now;
    }

    private void Admit()
    {
        Admissions++;
        _tokens -= 1;
    }
}
