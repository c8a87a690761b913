using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Teams;

/// <summary>How much of its daily quota of upstream calls a team has used, as far as this replica knows.</summary>
internal readonly record struct QuotaView(long Limit, long Used, DateTimeOffset ResetsAt)
{
    public long Remaining => Math.Max(Limit - Used, 0);
}

/// <summary>
/// Daily quotas of upstream calls per team (<c>Teams:&lt;team&gt;:UpstreamCallsPerDay</c>), reset at 00:00 UTC.
/// With Redis the count is the deployment's: each call is one atomic increment that refuses itself past the quota,
/// so replicas together never exceed it. Without Redis, or while it is down, each replica counts for itself and
/// adds what it counted meanwhile to the shared count when Redis answers again: a store outage never refuses a
/// call the quota allows (it may allow up to one quota more per replica during the outage), and never a 401 or 5xx.
/// Cache hits cost nothing and are never counted.
/// </summary>
internal sealed class TeamQuotas(SharedRedis redis, RedisKeys keys, IOptions<TeamOptions> teams, TimeProvider time)
{
    // Adds the calls (this one and any counted locally during an outage); refuses this one if it passes the quota.
    private const string ChargeScript = """
        local n = redis.call('INCRBY', KEYS[1], ARGV[1])
        redis.call('EXPIREAT', KEYS[1], ARGV[3])
        if n > tonumber(ARGV[2]) then
            redis.call('DECR', KEYS[1])
            return -(n - 1)
        end
        return n
        """;

    private readonly Dictionary<string, long> _limits = teams.Value.Teams
        .Where(static team => team.Value.UpstreamCallsPerDay is not null)
        .ToDictionary(static team => team.Key, static team => team.Value.UpstreamCallsPerDay!.Value, StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, Tally> _tallies = new(StringComparer.Ordinal);

    public bool Any => _limits.Count > 0;

    /// <summary>The team's quota as this replica last saw it; null when the team has none.</summary>
    public QuotaView? View(string team)
    {
        if (!_limits.TryGetValue(team, out var limit))
        {
            return null;
        }

        var now = time.GetUtcNow();
        var tally = TallyFor(team, Day(now));
        return new QuotaView(limit, tally.Used, ResetAfter(now));
    }

    /// <summary>Whether the team may make one more upstream call, counted if so.</summary>
    public async ValueTask<bool> TryChargeAsync(string team)
    {
        if (!_limits.TryGetValue(team, out var limit))
        {
            return true;
        }

        var now = time.GetUtcNow();
        var day = Day(now);
        var tally = TallyFor(team, day);
        if (redis.IsReachable)
        {
            var offline = Interlocked.Exchange(ref tally.Offline, 0);
            var key = keys.Quota(team, day.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            var expireAt = ResetAfter(now).AddHours(1).ToUnixTimeSeconds();
            var result = await redis.TryAsync<long?>(
                async database => (long)await database.ScriptEvaluateAsync(ChargeScript, [key], [1 + offline, limit, expireAt]), null);
            if (result is { } charged)
            {
                Volatile.Write(ref tally.Used, Math.Abs(charged));
                return charged > 0;
            }

            Interlocked.Add(ref tally.Offline, offline);
        }

        // Counting here alone: no shared store, or it is down.
        if (Interlocked.Increment(ref tally.Used) > limit)
        {
            Interlocked.Decrement(ref tally.Used);
            return false;
        }

        if (redis.IsConfigured)
        {
            Interlocked.Increment(ref tally.Offline);
        }

        return true;
    }

    private Tally TallyFor(string team, DateOnly day)
    {
        var tally = _tallies.GetOrAdd(team, static _ => new Tally());
        if (tally.Day != day)
        {
            lock (tally)
            {
                if (tally.Day != day)
                {
                    tally.Used = 0;
                    tally.Offline = 0;
                    tally.Day = day;
                }
            }
        }

        return tally;
    }

    private static DateOnly Day(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    public static DateTimeOffset ResetAfter(DateTimeOffset now) => new(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);

    private sealed class Tally
    {
        public DateOnly Day;
        public long Used;
        public long Offline;
    }
}
