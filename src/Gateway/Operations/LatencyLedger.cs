using Gateway.Redis;
using StackExchange.Redis;

namespace Gateway.Operations;

/// <summary>One minute's latency histograms: job reads answered without Reducto (hits, shared running answers) and the others.</summary>
internal sealed record LatencyMinute(long Minute, long[] Hits, long[] Misses)
{
    public static LatencyMinute Empty(long minute) => new(minute, new long[LatencyBuckets.Count], new long[LatencyBuckets.Count]);
}

/// <summary>
/// Latency of job reads by the minute. Recording is one interlocked increment into a histogram nobody else writes
/// (no lock, no clock read, no allocation); the sampler moves what was recorded into the current minute of a
/// 60-slot ring, and adds it to Redis (a hash per minute, kept two hours) so every replica's answers count in the
/// deployment's percentiles. Counts Redis has not taken are kept and added when it answers again, while their minute
/// is still in the ring.
/// </summary>
internal sealed class LatencyLedger(SharedRedis redis, RedisKeys keys)
{
    public const int Minutes = 60;
    private const int Buckets = LatencyBuckets.Count;
    private static readonly TimeSpan Keep = TimeSpan.FromHours(2);

    // Hits in the first half, misses in the second.
    private readonly long[] _recorded = new long[2 * Buckets];
    private readonly Slot?[] _ring = new Slot?[Minutes];

    public void Record(bool hit, TimeSpan elapsed) =>
        Interlocked.Increment(ref _recorded[(hit ? 0 : Buckets) + LatencyBuckets.IndexOf(elapsed)]);

    /// <summary>Moves what was recorded since the last call into <paramref name="minute"/>; the sampler's alone to call.</summary>
    public void Take(long minute)
    {
        var slot = SlotFor(minute);
        for (var i = 0; i < _recorded.Length; i++)
        {
            var taken = Interlocked.Exchange(ref _recorded[i], 0);
            if (taken != 0)
            {
                slot.Total[i] += taken;
                slot.Pending[i] += taken;
            }
        }
    }

    /// <summary>Adds the counts Redis has not seen yet.</summary>
    public async Task FlushAsync()
    {
        var slots = _ring.OfType<Slot>().Where(static slot => slot.Pending.Any(static count => count != 0)).ToArray();
        if (slots.Length == 0 || !redis.IsReachable)
        {
            return;
        }

        // On failure the counts stay pending for the next flush: Redis may have taken part of the batch, so a few can be added twice.
        var written = await redis.TryAsync(async database =>
        {
            var batch = database.CreateBatch();
            var writes = new List<Task>();
            foreach (var slot in slots)
            {
                var key = keys.UsageLatency(slot.Minute);
                for (var i = 0; i < slot.Pending.Length; i++)
                {
                    if (slot.Pending[i] != 0)
                    {
                        writes.Add(batch.HashIncrementAsync(key, Field(i), slot.Pending[i]));
                    }
                }

                writes.Add(batch.KeyExpireAsync(key, Keep));
            }

            batch.Execute();
            await Task.WhenAll(writes);
        });
        if (written)
        {
            foreach (var slot in slots)
            {
                Array.Clear(slot.Pending);
            }
        }
    }

    /// <summary>The deployment's histograms from Redis, plus what this replica has not flushed; null when Redis cannot answer.</summary>
    public Task<LatencyMinute[]?> ReadSharedAsync(long first, long last) => redis.TryAsync<LatencyMinute[]?>(async database =>
    {
        var minutes = Span(first, last);
        var hashes = await Task.WhenAll(minutes.Select(minute => database.HashGetAllAsync(keys.UsageLatency(minute))));
        return [.. minutes.Select((minute, i) =>
        {
            var point = LatencyMinute.Empty(minute);
            foreach (var entry in hashes[i])
            {
                if (ParseField(entry.Name.ToString()) is { } index)
                {
                    Into(point, index) += (long)entry.Value;
                }
            }

            AddOwn(point, static slot => slot.Pending);
            return point;
        })];
    }, null);

    /// <summary>This replica's own histograms.</summary>
    public LatencyMinute[] ReadLocal(long first, long last) => [.. Span(first, last).Select(minute =>
    {
        var point = LatencyMinute.Empty(minute);
        AddOwn(point, static slot => slot.Total);
        return point;
    })];

    /// <summary>
    /// This replica's histograms for <paramref name="minute"/> and the one before, for the Prometheus gauges; read
    /// while the sampler may write, so a count can be a sample late.
    /// </summary>
    public LatencyMinute Recent(long minute)
    {
        var point = LatencyMinute.Empty(minute);
        AddOwn(point, static slot => slot.Total);
        var before = LatencyMinute.Empty(minute - 1);
        AddOwn(before, static slot => slot.Total);
        for (var i = 0; i < Buckets; i++)
        {
            point.Hits[i] += before.Hits[i];
            point.Misses[i] += before.Misses[i];
        }

        return point;
    }

    private void AddOwn(LatencyMinute point, Func<Slot, long[]> counts)
    {
        if (_ring[Index(point.Minute)] is { } slot && slot.Minute == point.Minute)
        {
            var values = counts(slot);
            for (var i = 0; i < values.Length; i++)
            {
                Into(point, i) += values[i];
            }
        }
    }

    private static ref long Into(LatencyMinute point, int index) =>
        ref index < Buckets ? ref point.Hits[index] : ref point.Misses[index - Buckets];

    private Slot SlotFor(long minute)
    {
        var index = Index(minute);
        if (_ring[index] is not { } slot || slot.Minute != minute)
        {
            _ring[index] = slot = new Slot(minute);
        }

        return slot;
    }

    private static int Index(long minute) => (int)(minute % Minutes);

    private static long[] Span(long first, long last) => [.. Enumerable.Range(0, (int)(last - first + 1)).Select(i => first + i)];

    private static RedisValue Field(int index) => index < Buckets ? "h|" + index : "m|" + (index - Buckets);

    private static int? ParseField(string field) =>
        field.Length > 2 && field[1] == '|' && int.TryParse(field.AsSpan(2), out var bucket) && bucket is >= 0 and < Buckets
            ? field[0] switch { 'h' => bucket, 'm' => Buckets + bucket, _ => null }
            : null;

    private sealed class Slot(long minute)
    {
        public long Minute { get; } = minute;

        public long[] Total { get; } = new long[2 * Buckets];

        public long[] Pending { get; } = new long[2 * Buckets];
    }
}
