using System.Collections.Concurrent;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Ownership;

/// <summary>
/// Who created each job and file, for the whole deployment. A record is written to Redis before the caller hears of
/// the id, so a poll on any replica a moment later finds it; each replica also keeps in memory what it recorded (to
/// write it back when Redis lost it) and the owners it looked up (an owner never changes, so a known job costs no
/// round trip). What is not found anywhere is unowned: <c>Jobs:UnownedJobs</c> decides what that means. The design
/// note (README.md in this folder) says what each failure costs.
/// </summary>
internal sealed class OwnershipLedger(SharedRedis redis, RedisKeys keys, IOptions<OwnershipOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Record> _local = new(StringComparer.Ordinal);

    // What Redis has not confirmed, and what was recorded lately, written again on each sync.
    private readonly LossRepair _repair = new(redis);

    /// <summary>This process's name in Redis for its mark; a restarted replica starts a new one.</summary>
    public string Replica => _repair.Replica;

    /// <summary>Records kept in this process.</summary>
    public int LocalCount => _local.Count;

    private TimeSpan Retention => options.Value.Retention;

    /// <summary>Records <paramref name="owner"/> as the creator of <paramref name="id"/>; returns once Redis has it, or once it is kept here for later.</summary>
    public async Task RecordAsync(OwnedKind kind, string id, Owner owner)
    {
        var key = Key(kind, OwnedIds.Normalise(kind, id));
        _local[key] = new Record(owner, Mine: true);
        _repair.Written(key, owner.CreatedAt, await WriteAsync(key, owner));
    }

    /// <summary>The owner of <paramref name="id"/>, or null when neither this process nor Redis knows one (or Redis is away).</summary>
    public async ValueTask<Owner?> FindAsync(OwnedKind kind, string id)
    {
        var normalised = OwnedIds.Normalise(kind, id);
        var key = Key(kind, normalised);
        if (_local.TryGetValue(key, out var record))
        {
            return Fresh(record.Owner);
        }

        var stored = Owner.Deserialize(await redis.TryAsync(async database => (string?)await database.StringGetAsync(keys.Owner(kind, normalised)), null));
        if (Fresh(stored) is { } owner)
        {
            // Only what was found is remembered: a miss may be a job created a moment ago on another replica.
            _local.TryAdd(key, new Record(owner, Mine: false));
            return owner;
        }

        return null;
    }

    /// <summary>
    /// A job's owner as an answer may carry it to other replicas and the direct path: a team, or unowned when the
    /// ledger can say so (Redis answered, or there is none and this process knows every record); null when it cannot.
    /// </summary>
    public async ValueTask<OwnedBy?> OwnerToCarryAsync(string jobId)
    {
        var owner = await FindAsync(OwnedKind.Job, jobId);
        return owner is not null ? new OwnedBy(owner.Team) : redis.IsHealthy ? new OwnedBy(null) : null;
    }

    /// <summary>The owners of many ids in one round trip (a page of <c>GET /jobs</c>); null where unknown.</summary>
    public async Task<Owner?[]> FindManyAsync(OwnedKind kind, IReadOnlyList<string> ids)
    {
        var owners = new Owner?[ids.Count];
        var missing = new List<(int Index, string Normalised)>();
        for (var i = 0; i < ids.Count; i++)
        {
            var normalised = OwnedIds.Normalise(kind, ids[i]);
            if (_local.TryGetValue(Key(kind, normalised), out var record))
            {
                owners[i] = Fresh(record.Owner);
            }
            else
            {
                missing.Add((i, normalised));
            }
        }

        if (missing.Count == 0)
        {
            return owners;
        }

        var redisKeys = missing.Select(m => keys.Owner(kind, m.Normalised)).ToArray();
        var stored = await redis.TryAsync(async database => await database.StringGetAsync(redisKeys), []);
        for (var j = 0; j < stored.Length; j++)
        {
            if (Fresh(Owner.Deserialize(stored[j])) is { } owner)
            {
                owners[missing[j].Index] = owner;
                _local.TryAdd(Key(kind, missing[j].Normalised), new Record(owner, Mine: false));
            }
        }

        return owners;
    }

    /// <summary>
    /// One round of repair, run by <see cref="OwnershipSync"/>: puts back every record of this replica's when its mark
    /// is gone from Redis, writes what Redis has not confirmed and what is recent, and forgets what is past retention.
    /// </summary>
    public async Task SyncAsync()
    {
        var now = time.GetUtcNow();
        Forget(now);

        // Every record known here is written back, looked-up ones included: their creator may have restarted since.
        var restored = await _repair.RunAsync(keys.OwnerMark(Replica), Retention, now, options.Value.RewriteWindow,
            () => [.. _local.Keys], WriteAllAsync);
        if (restored > 0)
        {
            RecordsRestored?.Invoke(restored);
        }
    }

    /// <summary>Told how many records were written back after Redis lost them (for the log).</summary>
    public event Action<int>? RecordsRestored;

    private async Task<bool> WriteAsync(string key, Owner owner)
    {
        var ttl = owner.CreatedAt + Retention - time.GetUtcNow();
        return ttl <= TimeSpan.Zero || await redis.TryAsync(database => database.StringSetAsync(RedisKeyOf(key), owner.Serialize(), ttl));
    }

    private async Task<bool> WriteAllAsync(string[] localKeys)
    {
        var now = time.GetUtcNow();
        var writes = new List<(RedisKey Key, RedisValue Value, TimeSpan Ttl)>();
        foreach (var key in localKeys)
        {
            if (_local.TryGetValue(key, out var record) && record.Owner.CreatedAt + Retention - now is { Ticks: > 0 } ttl)
            {
                writes.Add((RedisKeyOf(key), record.Owner.Serialize(), ttl));
            }
        }

        return writes.Count == 0 || await redis.TryAsync(async database =>
        {
            var batch = database.CreateBatch();
            var sent = writes.Select(write => batch.StringSetAsync(write.Key, write.Value, write.Ttl)).ToArray();
            batch.Execute();
            await Task.WhenAll(sent);
        });
    }

    // Past retention, and beyond the size limit (the oldest, looked-up ones before this replica's own).
    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, record) in _local)
        {
            if (Fresh(record.Owner, now) is null)
            {
                _local.TryRemove(key, out _);
                _repair.Forget(key);
            }
        }

        var excess = _local.Count - options.Value.LocalRecords;
        if (excess <= 0)
        {
            return;
        }

        foreach (var (key, _) in _local.OrderBy(static pair => pair.Value.Mine).ThenBy(static pair => pair.Value.Owner.CreatedAt).Take(excess).ToArray())
        {
            _local.TryRemove(key, out _);
        }
    }

    private Owner? Fresh(Owner? owner) => Fresh(owner, time.GetUtcNow());

    private Owner? Fresh(Owner? owner, DateTimeOffset now) => owner is not null && owner.CreatedAt + Retention > now ? owner : null;

    private static string Key(OwnedKind kind, string normalised) => (kind == OwnedKind.Job ? "j:" : "f:") + normalised;

    private RedisKey RedisKeyOf(string localKey) =>
        keys.Owner(localKey[0] == 'j' ? OwnedKind.Job : OwnedKind.File, localKey[2..]);

    private sealed record Record(Owner Owner, bool Mine);
}
