namespace Gateway.Telemetry;

/// <summary>
/// The stale answers this replica served in the last minute, counted by age in the buckets of
/// <c>gateway_stale_answer_age_seconds</c>, for the operations page: replicas add their counts bucket by bucket, so
/// the deployment's p50 and p99 are read from one histogram, as Prometheus would read them, not averaged.
/// </summary>
internal sealed class RecentStaleAnswers(TimeProvider time)
{
    /// <summary>Upper bounds, in seconds, of every bucket but the last (which has none).</summary>
    /// <remarks>
    /// A stale answer is at least one window old (1 s by default) and at most the window plus
    /// <c>Jobs:StaleRunningAnswers</c> (5 min): the default buckets (0 to 10,000) would put nearly all of them in two.
    /// </remarks>
    public static readonly double[] Bounds = [0.5, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 180, 300];

    // Six ten-second slots: a minute, give or take the slot being filled.
    private const int Slots = 6;
    private static readonly long SlotMilliseconds = 10_000;

    private readonly Lock _lock = new();
    private readonly long[][] _counts = [.. Enumerable.Range(0, Slots).Select(static _ => new long[Bounds.Length + 1])];
    private readonly long[] _slotOf = new long[Slots];

    public void Record(TimeSpan age)
    {
        // The first bound at or above the age (Prometheus's le), or the last bucket: no closure on a path taken per answer.
        var seconds = age.TotalSeconds;
        var bucket = 0;
        while (bucket < Bounds.Length && seconds > Bounds[bucket])
        {
            bucket++;
        }

        lock (_lock)
        {
            Current()[bucket]++;
        }
    }

    /// <summary>Counts per bucket over the last minute.</summary>
    public long[] LastMinute()
    {
        var sum = new long[Bounds.Length + 1];
        lock (_lock)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds() / SlotMilliseconds;
            for (var i = 0; i < Slots; i++)
            {
                if (now - _slotOf[i] < Slots)
                {
                    for (var b = 0; b < sum.Length; b++)
                    {
                        sum[b] += _counts[i][b];
                    }
                }
            }
        }

        return sum;
    }

    /// <summary>
    /// The age below which a share <paramref name="q"/> of the counted answers fall, interpolated within its bucket as
    /// Prometheus's <c>histogram_quantile</c> does (the last bucket answers its lower bound); null when none were counted.
    /// </summary>
    public static double? Quantile(double q, IReadOnlyList<long> buckets)
    {
        var total = buckets.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = q * total;
        long below = 0;
        for (var b = 0; b < buckets.Count; b++)
        {
            var lower = b == 0 ? 0 : Bounds[b - 1];
            if (below + buckets[b] >= rank && buckets[b] > 0)
            {
                return b == Bounds.Length ? lower : lower + (Bounds[b] - lower) * (rank - below) / buckets[b];
            }

            below += buckets[b];
        }

        return Bounds[^1];
    }

    private long[] Current()
    {
        var slot = time.GetUtcNow().ToUnixTimeMilliseconds() / SlotMilliseconds;
        var index = (int)(slot % Slots);
        if (_slotOf[index] != slot)
        {
            _slotOf[index] = slot;
            Array.Clear(_counts[index]);
        }

        return _counts[index];
    }
}
