using Gateway.Caching;
using StackExchange.Redis;

namespace Gateway.Cluster;

internal enum LeaseOutcome
{
    /// <summary>This replica holds the lease: it does the work and tells the others.</summary>
    Taken,

    /// <summary>Another replica holds it: wait for its notice.</summary>
    Held,

    /// <summary>No shared store (none configured, or it is down): coordinate within this process only.</summary>
    Unavailable,
}

/// <summary>
/// Short Redis leases (SET NX with an expiry, released only by their holder, atomically) that let one replica act for all of them
/// on a job. Expiry is what makes a crashed or partitioned holder harmless: the lease lapses and another replica
/// takes over, so nobody waits on a dead holder longer than one lease.
/// </summary>
internal sealed class JobLeases(SharedStore shared, ResponseCache cache, CacheKeys keys, Microsoft.Extensions.Options.IOptions<CacheOptions> options)
{
    public const string Fetch = "fetch";
    public const string Poll = "poll";

    // One value per process: a replica runs at most one flight per job and lease kind (its in-process single flight
    // sees to that), so the process is the holder.
    private readonly RedisValue _holder = Guid.NewGuid().ToString("N");

    // Compare-and-delete in one atomic round trip. The client's own LockRelease uses a WATCH/MULTI transaction whose
    // condition round trip holds up the shared connection; under load that stalled unrelated cache reads.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    public async Task<LeaseOutcome> TryTakeAsync(string kind, string jobId, TimeSpan duration)
    {
        if (shared.Redis is null || !cache.IsAvailable)
        {
            return LeaseOutcome.Unavailable;
        }

        try
        {
            var redis = await shared.Redis.GetAsync();
            return await redis.GetDatabase().LockTakeAsync(Key(kind, jobId), _holder, duration) ? LeaseOutcome.Taken : LeaseOutcome.Held;
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            cache.ReportUnavailable(exception);
            return LeaseOutcome.Unavailable;
        }
    }

    /// <summary>Gives the lease back early; a lease that was lost meanwhile (it expired) is left to its new holder.</summary>
    public async Task ReleaseAsync(string kind, string jobId)
    {
        if (shared.Redis is null)
        {
            return;
        }

        try
        {
            var redis = await shared.Redis.GetAsync();
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [Key(kind, jobId)], [_holder]);
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            // It expires by itself; the failure is the cache breaker's business.
            cache.ReportUnavailable(exception);
        }
    }

    private RedisKey Key(string kind, string jobId) => options.Value.InstanceName + keys.LeaseFor(kind, jobId);
}
