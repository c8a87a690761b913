using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Gateway.Caching;

/// <summary>
/// The in-process tier: decoded entries in a size-bounded memory cache. A hit here touches neither Redis nor the
/// upstream and allocates nothing for the body. It sits in front of Redis when Redis is configured (and keeps serving
/// what it holds while Redis is down), and is the only tier otherwise.
/// </summary>
internal sealed class MemoryTier(IOptions<CacheOptions> options) : IDisposable
{
    // Bookkeeping per entry (key, headers, the entry objects), so many small bodies still count against the budget.
    private const int EntryOverheadBytes = 512;

    private readonly MemoryCache _entries = new(new MemoryCacheOptions
    {
        SizeLimit = options.Value.InProcessSizeLimitBytes,
        CompactionPercentage = 0.2,
    });

    public CachedResponse? Get(string key, DateTimeOffset now) =>
        _entries.TryGetValue(key, out CachedResponse? entry) && entry!.IsFreshAt(now) ? entry : null;

    public void Set(string key, CachedResponse entry) =>
        _entries.Set(key, entry, new MemoryCacheEntryOptions
        {
            AbsoluteExpiration = entry.ExpiresAt,
            Size = entry.Body.Length + EntryOverheadBytes,
        });

    public void Remove(string key) => _entries.Remove(key);

    public void Dispose() => _entries.Dispose();
}
