using System.Collections.Concurrent;

namespace Gateway.Creations;

/// <summary>
/// Strings that expire, kept in this replica's memory: the reuse index's copy of what it wrote to Redis, and all of
/// it without Redis. Past <see cref="MaxEntries"/> the expired go first, then those closest to expiry, so the map
/// never grows with traffic; a forgotten entry costs one reuse that does not happen.
/// </summary>
internal sealed class LocalExpiringMap(TimeProvider time)
{
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset ExpiresAt)> _entries = new(StringComparer.Ordinal);

    public string? Get(string key) =>
        _entries.TryGetValue(key, out var entry) && entry.ExpiresAt > time.GetUtcNow() ? entry.Value : null;

    public void Set(string key, string value, TimeSpan ttl)
    {
        _entries[key] = (value, time.GetUtcNow() + ttl);
        if (_entries.Count > MaxEntries)
        {
            Prune();
        }
    }

    /// <summary>Removes the entry only while it still holds <paramref name="value"/>.</summary>
    public void Remove(string key, string value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Value == value)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    // The expired are the closest to expiry, so they go first.
    private void Prune()
    {
        foreach (var pair in _entries.OrderBy(static pair => pair.Value.ExpiresAt).Take(_entries.Count - MaxEntries * 3 / 4).ToArray())
        {
            _entries.TryRemove(pair);
        }
    }
}
