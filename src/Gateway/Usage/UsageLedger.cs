using System.Collections.Concurrent;
using Gateway.Redis;
using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>Counts for one team over a span of time.</summary>
internal sealed record UsageCounts(long[] Values)
{
    public static UsageCounts Zero() => new(new long[Enum.GetValues<UsageCounter>().Length]);

    public long this[UsageCounter counter] => Values[(int)counter];
}

/// <summary>
/// Per-team usage by the minute, for the usage endpoints. Counting is an increment in this process's memory, so a hit
/// pays next to nothing for it; every <see cref="FlushInterval"/> the new counts are added to Redis (one hash per
/// minute, kept two hours, and one per hour, kept two days), so every replica's answer covers the whole deployment.
/// Without Redis, or while it is down, an answer covers this replica; counts not yet in Redis are kept and added
/// when it answers again.
/// </summary>
internal sealed partial class UsageLedger(SharedRedis redis, RedisKeys keys, TimeProvider time)
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);
    private static readonly int Counters = Enum.GetValues<UsageCounter>().Length;
    private static readonly TimeSpan KeepMinutes = TimeSpan.FromHours(2);
    private static readonly TimeSpan KeepHours = TimeSpan.FromDays(2);

    // This replica's own counts, by team and minute, for 25 hours: the answer without Redis, and what is not yet in it.
    private readonly ConcurrentDictionary<(string Team, long Minute), Bucket> _buckets = new();

    /// <summary>Whether answers come from the deployment's counts (Redis answering) or this replica's.</summary>
    public bool Shared => redis.IsReachable;

    public void Count(string team, UsageCounter counter) => Increment(BucketFor(team), counter);

    /// <summary>An answered request, with how it was served and why it was throttled when it was: one bucket lookup.</summary>
    public void CountAnswer(string team, UsageCounter? servedAs, UsageCounter? throttled)
    {
        var bucket = BucketFor(team);
        Increment(bucket, UsageCounter.Requests);
        if (servedAs is { } served)
        {
            Increment(bucket, served);
        }

        if (throttled is { } cause)
        {
            Increment(bucket, cause);
        }
    }

    private Bucket BucketFor(string team) => _buckets.GetOrAdd((team, Minute(time.GetUtcNow())), static _ => new Bucket(Counters));

    private static void Increment(Bucket bucket, UsageCounter counter)
    {
        Interlocked.Increment(ref bucket.Total[(int)counter]);
        Interlocked.Increment(ref bucket.Pending[(int)counter]);
    }

    /// <summary>A team's counts today (since 00:00 UTC) and over the last 60 minutes.</summary>
    public async Task<(UsageCounts Today, UsageCounts LastHour)> ReadAsync(string team)
    {
        var all = await ReadAllAsync(team);
        return all.GetValueOrDefault(team, (Empty(), Empty()));
    }

    /// <summary>Every team's counts today and over the last 60 minutes; only <paramref name="team"/>'s when given.</summary>
    public async Task<Dictionary<string, (UsageCounts Today, UsageCounts LastHour)>> ReadAllAsync(string? team = null)
    {
        var now = Minute(time.GetUtcNow());
        var dayStart = Minute(new DateTimeOffset(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero));
        if (await redis.TryAsync<Dictionary<string, (UsageCounts, UsageCounts)>?>(database => ReadSharedAsync(database, team, now, dayStart), null) is { } shared)
        {
            return shared;
        }

        var result = new Dictionary<string, (UsageCounts, UsageCounts)>(StringComparer.Ordinal);
        AddLocal(result, team, now, dayStart, static bucket => bucket.Total);
        return result;
    }

    /// <summary>Adds the counts Redis has not seen yet; the background loop calls it, tests when they need it now.</summary>
    public async Task FlushAsync()
    {
        Prune();
        if (!redis.IsReachable)
        {
            return;
        }

        var taken = new List<(string Team, long Minute, long[] Deltas)>();
        foreach (var ((team, minute), bucket) in _buckets)
        {
            var deltas = new long[Counters];
            var any = false;
            for (var i = 0; i < Counters; i++)
            {
                deltas[i] = Interlocked.Exchange(ref bucket.Pending[i], 0);
                any |= deltas[i] != 0;
            }

            if (any)
            {
                taken.Add((team, minute, deltas));
            }
        }

        if (taken.Count == 0)
        {
            return;
        }

        var written = await redis.TryAsync(async database =>
        {
            var batch = database.CreateBatch();
            var writes = new List<Task>();
            foreach (var (team, minute, deltas) in taken)
            {
                var minuteKey = keys.Usage("m", minute);
                var hourKey = keys.Usage("h", minute / 60);
                for (var i = 0; i < Counters; i++)
                {
                    if (deltas[i] != 0)
                    {
                        writes.Add(batch.HashIncrementAsync(minuteKey, Field(team, (UsageCounter)i), deltas[i]));
                        writes.Add(batch.HashIncrementAsync(hourKey, Field(team, (UsageCounter)i), deltas[i]));
                    }
                }

                writes.Add(batch.KeyExpireAsync(minuteKey, KeepMinutes));
                writes.Add(batch.KeyExpireAsync(hourKey, KeepHours));
            }

            batch.Execute();
            await Task.WhenAll(writes);
        });
        if (written)
        {
            return;
        }

        // Kept for the next flush: Redis may have taken part of the batch, so a few counts can be added twice.
        foreach (var (team, minute, deltas) in taken)
        {
            var bucket = _buckets.GetOrAdd((team, minute), static _ => new Bucket(Counters));
            for (var i = 0; i < Counters; i++)
            {
                Interlocked.Add(ref bucket.Pending[i], deltas[i]);
            }
        }
    }

    private async Task<Dictionary<string, (UsageCounts, UsageCounts)>?> ReadSharedAsync(IDatabase database, string? team, long now, long dayStart)
    {
        var hours = Enumerable.Range(0, (int)(now / 60 - dayStart / 60) + 1).Select(h => keys.Usage("h", dayStart / 60 + h)).ToArray();
        var minutes = Enumerable.Range(0, 60).Select(m => keys.Usage("m", now - m)).ToArray();
        var today = await Task.WhenAll(hours.Select(key => database.HashGetAllAsync(key)));
        var lastHour = await Task.WhenAll(minutes.Select(key => database.HashGetAllAsync(key)));

        var result = new Dictionary<string, (UsageCounts, UsageCounts)>(StringComparer.Ordinal);
        void Sum(HashEntry[][] hashes, bool isToday)
        {
            foreach (var entry in hashes.SelectMany(static hash => hash))
            {
                if (ParseField(entry.Name.ToString()) is not { } parsed || (team is not null && parsed.Team != team))
                {
                    continue;
                }

                var (owner, counter) = parsed;

                var (t, h) = result.TryGetValue(owner, out var found) ? found : (Empty(), Empty());
                (isToday ? t : h).Values[(int)counter] += (long)entry.Value;
                result[owner] = (t, h);
            }
        }

        Sum(today, isToday: true);
        Sum(lastHour, isToday: false);

        // What this replica counted but has not flushed yet.
        AddLocal(result, team, now, dayStart, static bucket => bucket.Pending);
        return result;
    }

    /// <summary>Adds this replica's buckets (all it counted, or what Redis has not seen) to <paramref name="result"/>.</summary>
    private void AddLocal(Dictionary<string, (UsageCounts, UsageCounts)> result, string? team, long now, long dayStart, Func<Bucket, long[]> counts)
    {
        foreach (var ((owner, minute), bucket) in _buckets)
        {
            if (team is not null && owner != team)
            {
                continue;
            }

            var (today, lastHour) = result.TryGetValue(owner, out var found) ? found : (Empty(), Empty());
            Add(today, counts(bucket), minute >= dayStart);
            Add(lastHour, counts(bucket), minute > now - 60);
            result[owner] = (today, lastHour);
        }
    }

    private void Prune()
    {
        var oldest = Minute(time.GetUtcNow()) - 25 * 60;
        foreach (var key in _buckets.Keys.Where(key => key.Minute < oldest))
        {
            _buckets.TryRemove(key, out _);
        }
    }

    private static void Add(UsageCounts into, long[] values, bool include)
    {
        if (!include)
        {
            return;
        }

        for (var i = 0; i < Counters; i++)
        {
            into.Values[i] += Volatile.Read(ref values[i]);
        }
    }

    private static UsageCounts Empty() => UsageCounts.Zero();

    private static long Minute(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    private static RedisValue Field(string team, UsageCounter counter) => team + "|" + (int)counter;

    private static (string Team, UsageCounter Counter)? ParseField(string field)
    {
        var bar = field.LastIndexOf('|');
        return bar > 0 && int.TryParse(field.AsSpan(bar + 1), out var counter) && Enum.IsDefined((UsageCounter)counter)
            ? (field[..bar], (UsageCounter)counter)
            : null;
    }

    private sealed class Bucket(int counters)
    {
        public readonly long[] Total = new long[counters];
        public readonly long[] Pending = new long[counters];
    }
}

/// <summary>Adds the ledger's new counts to Redis every <see cref="UsageLedger.FlushInterval"/>, and once more on the way out.</summary>
internal sealed class UsageFlusher(UsageLedger ledger, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(UsageLedger.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ledger.FlushAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }

        await ledger.FlushAsync();
    }
}
