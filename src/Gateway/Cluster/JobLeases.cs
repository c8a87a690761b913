using Gateway.Redis;
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
internal sealed class JobLeases(SharedRedis redis, RedisKeys keys)
{
    public const string Fetch = "fetch";
    public const string Poll = "poll";

    /// <summary>
    /// A refresh behind a stale answer, claimed from before its budget wait to its end: another replica's refresh of the
    /// job drops when it finds the claim. Apart from the fetch lease, which the refresh takes only once it has its slot,
    /// so plain reads elsewhere never wait on a replica's budget queue.
    /// </summary>
    public const string Refresh = "refresh";

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

    public async Task<LeaseOutcome> TryTakeAsync(string kind, string jobId, TimeSpan duration) =>
        await redis.TryAsync<LeaseOutcome?>(
            async database => await database.LockTakeAsync(keys.Lease(kind, jobId), _holder, duration) ? LeaseOutcome.Taken : LeaseOutcome.Held,
            null) ?? LeaseOutcome.Unavailable;

    /// <summary>Gives the lease back early; a lease that was lost meanwhile (it expired) is left to its new holder.</summary>
    /// <remarks>One that cannot be given back (Redis away) expires by itself.</remarks>
    public Task ReleaseAsync(string kind, string jobId) =>
        redis.TryAsync(database => database.ScriptEvaluateAsync(ReleaseScript, [keys.Lease(kind, jobId)], [_holder]));
}
