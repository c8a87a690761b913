using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

namespace Gateway.Caching;

/// <summary>The outcome of a cache read: the entry if one is fresh, and whether the cache could be asked at all.</summary>
internal readonly record struct CacheLookup(CachedResponse? Entry, bool Available);

/// <summary>
/// Terminal responses in the distributed cache, failing open. The first failure opens a breaker: from then on
/// requests skip the cache at once (no per-request connect or command timeouts) and are served from the upstream,
/// while one background probe asks the cache every <see cref="CacheOptions.RedisRetryInterval"/> and closes the
/// breaker when it answers. The outage and the recovery are each logged once.
/// </summary>
internal sealed class ResponseCache(
    IDistributedCache store,
    IOptions<CacheOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ResponseCache> logger)
{
    private const string ProbeKey = "probe";
    private int _unavailable;

    public bool IsAvailable => Volatile.Read(ref _unavailable) == 0;

    public async Task<CacheLookup> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            return new CacheLookup(null, false);
        }

        try
        {
            var stored = await store.GetAsync(key, cancellationToken);
            var entry = stored is null ? null : CachedResponse.Deserialize(stored);
            return new CacheLookup(entry is not null && entry.IsFreshAt(time.GetUtcNow()) ? entry : null, true);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Open(exception);
            return new CacheLookup(null, false);
        }
    }

    /// <returns>Whether the entry was stored.</returns>
    public async Task<bool> SetAsync(string key, CachedResponse entry, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            return false;
        }

        try
        {
            await store.SetAsync(key, entry.Serialize(), new DistributedCacheEntryOptions { AbsoluteExpiration = entry.ExpiresAt }, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Open(exception);
            return false;
        }
    }

    /// <returns>Whether the cache confirmed the removal (false while it is unavailable).</returns>
    public async Task<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            return false;
        }

        try
        {
            await store.RemoveAsync(key, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Open(exception);
            return false;
        }
    }

    private void Open(Exception exception)
    {
        if (Interlocked.Exchange(ref _unavailable, 1) == 0)
        {
            logger.CacheUnavailable(options.Value.RedisRetryInterval, exception);
            _ = ProbeUntilAvailableAsync(lifetime.ApplicationStopping);
        }
    }

    private async Task ProbeUntilAvailableAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.RedisRetryInterval, time, stopping);
                await store.GetAsync(ProbeKey, stopping);
                Volatile.Write(ref _unavailable, 0);
                logger.CacheRecovered();
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Still down: the outage was already logged once; try again after the next interval.
            }
        }
    }
}
