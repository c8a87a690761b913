using System.Globalization;
using Gateway.Redis;
using StackExchange.Redis;

namespace Gateway.Operations;

/// <summary>
/// How many jobs are watched and callers held by <c>Prefer: wait</c>, running jobs queued for a refresh, and the last
/// minute's stale answers by age (<see cref="Telemetry.RecentStaleAnswers"/> buckets), on this replica or summed over
/// every replica.
/// </summary>
internal readonly record struct WaitingCounts(int JobsWatched, int CallersWaiting, int RefreshesQueued, long[] StaleAges);

/// <summary>
/// Shares this replica's long-polling counts with the others: each sample writes them, with the time, into one
/// field of a hash the replicas share, and reads the sum of the fields written recently. A replica that stops
/// writing (stopped, crashed, cut off) stops counting after <see cref="StaleAfter"/>; its field is removed then.
/// </summary>
internal sealed class ReplicaActivity(SharedRedis redis, RedisKeys keys, TimeProvider time)
{
    private readonly RedisValue _me = Guid.NewGuid().ToString("N");
    private readonly RedisKey _hash = keys.ReplicaActivity;

    public static TimeSpan StaleAfter { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The deployment's counts, this replica's included; null without Redis or while it does not answer.</summary>
    public Task<WaitingCounts?> ShareAsync(WaitingCounts own) => redis.TryAsync<WaitingCounts?>(async database =>
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await database.HashSetAsync(_hash, _me, string.Create(CultureInfo.InvariantCulture, $"{own.JobsWatched}|{own.CallersWaiting}|{now}|{own.RefreshesQueued}|{string.Join(',', own.StaleAges)}"));
        await database.KeyExpireAsync(_hash, StaleAfter * 2);
        var watched = 0;
        var waiting = 0;
        var queued = 0;
        var ages = new long[own.StaleAges.Length];
        var stale = new List<RedisValue>();
        foreach (var entry in await database.HashGetAllAsync(_hash))
        {
            // Each replica's own clock: 30 s of tolerance is far more than replicas' clocks disagree by.
            var parts = entry.Value.ToString().Split('|');
            // Three or four fields from a replica of an earlier version, which queued no refreshes or kept no ages.
            if (parts.Length is not (3 or 4 or 5) || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var at) || now - at > StaleAfter.TotalMilliseconds)
            {
                stale.Add(entry.Name);
                continue;
            }

            watched += int.TryParse(parts[0], CultureInfo.InvariantCulture, out var w) ? w : 0;
            waiting += int.TryParse(parts[1], CultureInfo.InvariantCulture, out var c) ? c : 0;
            queued += parts.Length >= 4 && int.TryParse(parts[3], CultureInfo.InvariantCulture, out var q) ? q : 0;
            if (parts.Length == 5 && parts[4].Split(',') is { } counts && counts.Length == ages.Length)
            {
                for (var b = 0; b < ages.Length; b++)
                {
                    ages[b] += long.TryParse(counts[b], CultureInfo.InvariantCulture, out var n) ? n : 0;
                }
            }
        }

        if (stale.Count > 0)
        {
            await database.HashDeleteAsync(_hash, [.. stale]);
        }

        return new WaitingCounts(watched, waiting, queued, ages);
    }, null);
}
