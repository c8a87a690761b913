using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

namespace Gateway.Caching;

/// <summary>The outcome of a cache read: the entry if one is fresh, and whether the cache could be asked at all.</summary>
internal readonly record struct CacheLookup(CachedResponse? Entry, bool Available);

/// <summary>
/// Terminal responses in the distributed cache, failing open: a cache error is logged once per outage and turns into
/// a miss, never into a failed request. After a failure the cache is skipped for <see cref="CacheOptions.RedisRetryInterval"/>
/// so an outage costs callers nothing, then the next request tries it again and caching resumes by itself.
/// </summary>
internal sealed class ResponseCache(IDistributedCache store, IOptions<CacheOptions> options, TimeProvider time, ILogger<ResponseCache> logger)
{
    private long _skipUntilTicks;
    private int _unavailable;

    public async Task<CacheLookup> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (IsSkipping())
        {
            return new CacheLookup(null, false);
        }

        try
        {
            var stored = await store.GetAsync(key, cancellationToken);
            MarkAvailable();
            var entry = stored is null ? null : CachedResponse.Deserialize(stored);
            return new CacheLookup(entry is not null && entry.IsFreshAt(time.GetUtcNow()) ? entry : null, true);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            MarkUnavailable(exception);
            return new CacheLookup(null, false);
        }
    }

    /// <returns>Whether the entry was stored.</returns>
    public async Task<bool> SetAsync(string key, CachedResponse entry, CancellationToken cancellationToken)
    {
        if (IsSkipping())
        {
            return false;
        }

        try
        {
            await store.SetAsync(key, entry.Serialize(), new DistributedCacheEntryOptions { AbsoluteExpiration = entry.ExpiresAt }, cancellationToken);
            MarkAvailable();
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            MarkUnavailable(exception);
            return false;
        }
    }

    private bool IsSkipping() => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _skipUntilTicks);

    private void MarkUnavailable(Exception exception)
    {
        var retryInterval = options.Value.RedisRetryInterval;
        Interlocked.Exchange(ref _skipUntilTicks, (time.GetUtcNow() + retryInterval).UtcTicks);
        if (Interlocked.Exchange(ref _unavailable, 1) == 0)
        {
            logger.CacheUnavailable(retryInterval, exception);
        }
    }

    private void MarkAvailable()
    {
        if (Volatile.Read(ref _unavailable) == 1 && Interlocked.Exchange(ref _unavailable, 0) == 1)
        {
            logger.CacheRecovered();
        }
    }
}
