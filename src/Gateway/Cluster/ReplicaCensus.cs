using Gateway.Redis;
using Gateway.Upstream;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Counts the replicas sharing this deployment's Redis, so the upstream budget (configured for the whole deployment)
/// is split evenly between them. Each replica stamps itself into a sorted set every <see cref="Period"/>, on Redis's
/// clock so replicas' clocks need not agree; a replica silent for three periods (crashed, partitioned) drops out and
/// the others take over its share. While Redis is down the last count stands: replicas cannot see each other, and
/// assuming fewer would let them overspend together.
/// </summary>
/// <remarks>
/// Across a failover (a Sentinel switch, a cluster shard's replica taking over, a Redis restarted empty) the set this
/// replica finds may have lost the others' stamps: none of them could write while Redis was away, and asynchronous
/// replication may not have carried the last ones over. Counting only itself, the first replica back would take
/// the whole budget until the others stamp again. So after a count failed, after a gap of more than one and a half
/// periods since the last good one (Redis unreachable, stalled, or this process paused), or when this replica's own
/// stamp is gone from the set (it lost its memory, even if this replica never saw the outage), a lower count is not
/// believed for one silence window (three periods): every live replica has stamped itself again by then. A higher
/// count is always believed at once, since a smaller share never overspends. A replica that really died during the
/// failover is dropped one window later than usual.
/// </remarks>
internal sealed class ReplicaCensus(
    SharedRedis redis, UpstreamBudget budget, RedisKeys keys, ReplicaRing ring, ILogger<ReplicaCensus> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    // One round trip: stamp this replica, forget the silent ones, count the rest; say whether this replica's own stamp
    // was missing (ZADD added it), which for a replica that counted before means the set lost its memory; and name the
    // members, for the ring that shares the refreshes out.
    private const string CountScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return { redis.call('ZCARD', KEYS[1]), added, redis.call('ZRANGE', KEYS[1], 0, -1) }
        """;

    private readonly RedisValue _me = ring.Me;
    private readonly RedisKey _set = keys.Census;
    private bool _counted;

    // Environment.TickCount64 of the last good count (0 before the first), and until when a lower count is not believed.
    private long _lastCountedAt;
    private long _holdUntil;
    private bool _countFailed;

    private static long SilentAfterMs => (long)(Period * 3).TotalMilliseconds;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redis.IsConfigured)
        {
            return;
        }

        using var ticks = new PeriodicTimer(Period);
        do
        {
            await CountAsync();
        }
        while (await ticks.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Volatile.Read(ref _counted))
        {
            // Leaving promptly hands this replica's share to the others at their next count, not three periods later.
            // If Redis is away it drops out by itself after three periods.
            await redis.TryOutsideBreakerAsync(database => database.SortedSetRemoveAsync(_set, _me), false);
        }
    }

    private async Task CountAsync()
    {
        var result = await redis.TryOutsideBreakerAsync<RedisResult[]?>(
            async database => (RedisResult[])(await database.ScriptEvaluateAsync(CountScript, [_set], [_me, SilentAfterMs]))!, null);
        if (result is null)
        {
            // Redis is away: the last count stands meanwhile, and is held a while after.
            _countFailed = true;
            return;
        }

        var (count, forgotten) = ((int)(long)result[0], (long)result[1] == 1 && _lastCountedAt != 0);
        ring.Saw([.. ((RedisResult[])result[2]!).Select(static member => (string)member!)]);
        Volatile.Write(ref _counted, true);
        var now = Environment.TickCount64;
        if (_countFailed || forgotten || (_lastCountedAt != 0 && now - _lastCountedAt > (long)(Period * 1.5).TotalMilliseconds))
        {
            _holdUntil = now + SilentAfterMs;
            logger.CensusHeld(budget.Replicas, Period * 3);
        }

        _countFailed = false;
        _lastCountedAt = now;
        if (count < budget.Replicas && now < _holdUntil)
        {
            return;
        }

        if (count != budget.Replicas)
        {
            budget.ShareWith(count);
            logger.BudgetShared(count, budget.JobPollsPerSecond, budget.RequestsPerSecond);
        }
    }
}
