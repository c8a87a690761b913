using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

namespace Gateway.Caching;

/// <summary>The outcome of a cache read: the entry if one is fresh, and whether the cache could be asked at all.</summary>
internal readonly record struct CacheLookup(CachedResponse? Entry, bool Available);

/// <summary>
/// Terminal responses in two tiers: the in-process <see cref="MemoryTier"/> first, then the shared store (Redis) when
/// one is configured. The shared store fails open. Its first failure opens a breaker: from then on requests skip it at
/// once (no per-request connect or command timeouts) and are served from the memory tier or the upstream, while one
/// background probe asks it every <see cref="CacheOptions.RedisRetryInterval"/> and closes the breaker when it
/// answers. The outage and the recovery are each logged once.
/// </summary>
internal sealed class ResponseCache(
    MemoryTier memory,
    SharedStore shared,
    IOptions<CacheOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ResponseCache> logger)
{
    private const string ProbeKey = "probe";
    private readonly IDistributedCache? _store = shared.Store;
    private int _unavailable;

    /// <summary>Whether the shared store answers (always true when there is none).</summary>
    public bool IsAvailable => Volatile.Read(ref _unavailable) == 0;

    /// <summary>The memory tier alone: what this process itself stored or read lately.</summary>
    public CachedResponse? GetLocal(string key) => memory.Get(key, time.GetUtcNow());

    public async ValueTask<CacheLookup> GetAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (memory.Get(key, now) is { } local)
        {
            return new CacheLookup(local, IsAvailable);
        }

        if (_store is null || !IsAvailable)
        {
            return new CacheLookup(null, IsAvailable);
        }

        try
        {
            var stored = await _store.GetAsync(key, cancellationToken);
            var entry = stored is null ? null : CachedResponse.Deserialize(stored);
            if (entry is null || !entry.IsFreshAt(now))
            {
                return new CacheLookup(null, true);
            }

            memory.Set(key, entry);
            return new CacheLookup(entry, true);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Open(exception);
            return new CacheLookup(null, false);
        }
    }

    /// <summary>Stores in the memory tier, and in the shared store when it answers.</summary>
    /// <returns>Whether the shared store has it too (true when there is none).</returns>
    public async Task<bool> SetAsync(string key, CachedResponse entry, CancellationToken cancellationToken)
    {
        memory.Set(key, entry);
        if (_store is null)
        {
            return true;
        }

        if (!IsAvailable)
        {
            return false;
        }

        try
        {
            await _store.SetAsync(key, entry.Serialize(), new DistributedCacheEntryOptions { AbsoluteExpiration = entry.ExpiresAt }, cancellationToken);
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
        memory.Remove(key);
        if (_store is null)
        {
            return true;
        }

        if (!IsAvailable)
        {
            return false;
        }

        try
        {
            await _store.RemoveAsync(key, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Open(exception);
            return false;
        }
    }

    /// <summary>For other users of the same Redis (leases, notices): a failure there opens the same breaker.</summary>
    public void ReportUnavailable(Exception exception) => Open(exception);

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
                await _store!.GetAsync(ProbeKey, stopping);
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
