using Gateway.Redis;
using Microsoft.Extensions.Caching.Distributed;

namespace Gateway.Caching;

/// <summary>The outcome of a cache read: the entry if one is fresh, and whether the cache could be asked at all.</summary>
internal readonly record struct CacheLookup(CachedResponse? Entry, bool Available);

/// <summary>
/// Terminal responses in two tiers: the in-process <see cref="MemoryTier"/> first, then the response store in Redis
/// when one is configured. The store fails open: while Redis is away (see <see cref="RedisBreaker"/>) reads and
/// writes are served by the memory tier alone.
/// </summary>
internal sealed class ResponseCache(MemoryTier memory, SharedRedis redis, TimeProvider time)
{
    /// <summary>Whether the shared store answers (always true when there is none).</summary>
    public bool IsAvailable => redis.IsHealthy;

    /// <summary>The memory tier alone: what this process itself stored or read lately.</summary>
    public CachedResponse? GetLocal(string key) => memory.Get(key, time.GetUtcNow());

    public async ValueTask<CacheLookup> GetAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (memory.Get(key, now) is { } local)
        {
            return new CacheLookup(local, IsAvailable);
        }

        if (!redis.IsReachable)
        {
            return new CacheLookup(null, IsAvailable);
        }

        var (answered, stored) = await redis.TryStoreAsync(
            async store => (true, await store.GetAsync(key, cancellationToken)), (false, (byte[]?)null), cancellationToken);
        if (!answered)
        {
            return new CacheLookup(null, false);
        }

        var entry = stored is null ? null : CachedResponse.Deserialize(stored);
        if (entry is null || !entry.IsFreshAt(now))
        {
            return new CacheLookup(null, true);
        }

        memory.Set(key, entry);
        return new CacheLookup(entry, true);
    }

    /// <summary>Stores in the shared store when it answers, then in the memory tier.</summary>
    /// <returns>Whether the shared store has it too (true when there is none).</returns>
    /// <remarks>
    /// Redis first: this process's readers (the direct path's above all) answer from the memory tier the moment the
    /// entry is there, and a replica that has not heard yet must then find it in Redis, or it would answer a running
    /// job's shared answer after this one answered Completed.
    /// </remarks>
    public async Task<bool> SetAsync(string key, CachedResponse entry, CancellationToken cancellationToken)
    {
        var shared = !redis.IsConfigured || await redis.TryStoreAsync(async store =>
        {
            await store.SetAsync(key, entry.Serialize(), new DistributedCacheEntryOptions { AbsoluteExpiration = entry.ExpiresAt }, cancellationToken);
            return true;
        }, false, cancellationToken);
        memory.Set(key, entry);
        return shared;
    }

    /// <returns>Whether the cache confirmed the removal (false while it is unavailable).</returns>
    public async Task<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        memory.Remove(key);
        return !redis.IsConfigured || await redis.TryStoreAsync(async store =>
        {
            await store.RemoveAsync(key, cancellationToken);
            return true;
        }, false, cancellationToken);
    }
}
