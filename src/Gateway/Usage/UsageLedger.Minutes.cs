using StackExchange.Redis;

namespace Gateway.Usage;

/// <summary>Every team's counts for one minute: the team's name to its counts, indexed by <see cref="UsageCounter"/>.</summary>
internal sealed record MinuteUsage(long Minute, IReadOnlyDictionary<string, long[]> Teams);

/// <summary>The counts of a run of minutes, and whether they are the deployment's (read from Redis) or this replica's.</summary>
internal sealed record MinutesUsage(bool Shared, IReadOnlyList<MinuteUsage> Minutes);

internal sealed partial class UsageLedger
{
    /// <summary>
    /// Every team's counts minute by minute, for the operations view: the same minute hashes the usage endpoints
    /// read (one HGETALL per minute, all in one round trip) plus what this replica has not flushed yet; this
    /// replica's own counts without Redis or while it is down.
    /// </summary>
    /// <param name="first">The first minute since the Unix epoch.</param>
    /// <param name="last">The last minute, included.</param>
    public async Task<MinutesUsage> ReadMinutesAsync(long first, long last)
    {
        var shared = await redis.TryAsync<MinutesUsage?>(async database =>
        {
            var hashes = await Task.WhenAll(Span(first, last).Select(minute => database.HashGetAllAsync(keys.Usage("m", minute))));
            var minutes = Span(first, last).Select((minute, i) => Parse(minute, hashes[i])).ToArray();
            AddLocalMinutes(minutes, first, static bucket => bucket.Pending);
            return new MinutesUsage(true, minutes);
        }, null);
        if (shared is not null)
        {
            return shared;
        }

        var local = Span(first, last).Select(static minute => new MinuteUsage(minute, new Dictionary<string, long[]>(StringComparer.Ordinal))).ToArray();
        AddLocalMinutes(local, first, static bucket => bucket.Total);
        return new MinutesUsage(false, local);
    }

    private static IEnumerable<long> Span(long first, long last)
    {
        for (var minute = first; minute <= last; minute++)
        {
            yield return minute;
        }
    }

    private static MinuteUsage Parse(long minute, HashEntry[] hash)
    {
        var teams = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var entry in hash)
        {
            if (ParseField(entry.Name.ToString()) is { } parsed)
            {
                CountsOf(teams, parsed.Team)[(int)parsed.Counter] += (long)entry.Value;
            }
        }

        return new MinuteUsage(minute, teams);
    }

    private void AddLocalMinutes(MinuteUsage[] minutes, long first, Func<Bucket, long[]> counts)
    {
        foreach (var ((team, minute), bucket) in _buckets)
        {
            var index = minute - first;
            if (index < 0 || index >= minutes.Length)
            {
                continue;
            }

            var into = CountsOf((Dictionary<string, long[]>)minutes[index].Teams, team);
            var values = counts(bucket);
            for (var i = 0; i < Counters; i++)
            {
                into[i] += Volatile.Read(ref values[i]);
            }
        }
    }

    private static long[] CountsOf(Dictionary<string, long[]> teams, string team)
    {
        if (!teams.TryGetValue(team, out var counts))
        {
            teams[team] = counts = new long[Counters];
        }

        return counts;
    }
}
