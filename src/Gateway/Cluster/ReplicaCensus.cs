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
internal sealed class ReplicaCensus(
    SharedRedis redis, UpstreamBudget budget, RedisKeys keys, ILogger<ReplicaCensus> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    // One round trip: stamp this replica, forget the silent ones, count the rest.
    private const string CountScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        redis.call('ZADD', KEYS[1], now, ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return redis.call('ZCARD', KEYS[1])
        """;

    private readonly RedisValue _me = Guid.NewGuid().ToString("N");
    private readonly RedisKey _set = keys.Census;
    private bool _counted;

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
        var silentAfter = (long)(Period * 3).TotalMilliseconds;
        var count = await redis.TryOutsideBreakerAsync<int?>(async database => (int)(long)await database.ScriptEvaluateAsync(CountScript, [_set], [_me, silentAfter]), null);
        if (count is not { } replicas)
        {
            return;
        }

        Volatile.Write(ref _counted, true);
        if (replicas != budget.Replicas)
        {
            budget.ShareWith(replicas);
            logger.BudgetShared(replicas, budget.JobPollsPerSecond, budget.RequestsPerSecond);
        }
    }
}
