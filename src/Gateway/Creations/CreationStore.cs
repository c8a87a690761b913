using System.Collections.Concurrent;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Creations;

/// <summary>
/// Creations in flight and their answers, for the whole deployment: one Redis string per key (a mark while the
/// creation runs, then its answer until it expires), and this replica's own in memory, where its retries wait on a
/// task rather than polling and from which it still replays while Redis is away. Without Redis every replica is on
/// its own. The design note (README.md in this folder) says what each failure costs.
/// </summary>
internal sealed class CreationStore(SharedRedis redis, IOptions<CreationOptions> options, TimeProvider time)
{
    /// <summary>How often a retry waiting for another replica's creation looks at Redis again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentDictionary<string, Entry> _local = new(StringComparer.Ordinal);
    private long _localBytes;

    /// <summary>The record under <paramref name="key"/> that has not expired: this replica's, else Redis's.</summary>
    public async Task<CreationRecord?> FindAsync(RedisKey key)
    {
        var now = time.GetUtcNow();
        if (_local.TryGetValue(key!, out var entry) && entry.Record.ExpiresAt > now)
        {
            return entry.Record;
        }

        var stored = CreationRecord.Deserialize(await redis.TryAsync(async database => (byte[]?)await database.StringGetAsync(key), null));
        return stored?.ExpiresAt > now ? stored : null;
    }

    /// <summary>
    /// Marks a creation in flight under <paramref name="key"/>. An exclusive claim (an <c>Idempotency-Key</c>) is won
    /// only where nothing lives under the key, and otherwise answers what does; a plain one (an SDK attempt) replaces
    /// whatever was there, so that the retries of the latest attempt find it.
    /// </summary>
    public async Task<(CreationRecord? Won, CreationRecord? Existing)> ClaimAsync(RedisKey key, byte[] fingerprint, bool exclusive)
    {
        var lease = options.Value.InFlightLease;
        var mark = new CreationRecord(Guid.NewGuid(), fingerprint, time.GetUtcNow() + lease, null);
        var entry = new Entry(mark);
        if (exclusive)
        {
            var now = time.GetUtcNow();
            var current = _local.AddOrUpdate(key!, entry, (_, old) => old.Record.ExpiresAt > now ? old : entry);
            if (current != entry)
            {
                return (null, current.Record);
            }

            var set = await redis.TryAsync(database => database.StringSetAsync(key, mark.Serialize(), lease, When.NotExists), true);
            if (!set)
            {
                // Another replica holds the key: this replica's own mark goes, so that the look sees Redis's.
                Settle(key, mark.Claim, null);
                if (await FindAsync(key) is { } existing)
                {
                    return (null, existing);
                }

                // What Redis holds has expired by this gateway's clock (its own expiry has not run yet): the claim is ours.
                _local[key!] = new Entry(mark);
                await redis.TryAsync(database => database.StringSetAsync(key, mark.Serialize(), lease));
            }
        }
        else
        {
            _local[key!] = entry;
            await redis.TryAsync(database => database.StringSetAsync(key, mark.Serialize(), lease));
        }

        return (mark, null);
    }

    /// <summary>Replaces this claim's mark with its answer, kept for <paramref name="keepFor"/>; wakes the retries waiting here.</summary>
    public async Task CompleteAsync(RedisKey key, CreationRecord mark, StoredAnswer answer, TimeSpan keepFor)
    {
        var done = mark with { ExpiresAt = time.GetUtcNow() + keepFor, Answer = answer };
        if (Settle(key, mark.Claim, done))
        {
            Interlocked.Add(ref _localBytes, answer.Body.Length);
            Prune();
        }

        var bytes = done.Serialize();
        await ReplaceOwnAsync(key, mark, database => database.StringSetAsync(key, bytes, keepFor));
    }

    /// <summary>Removes this claim's mark (the creation failed, or never reached the upstream): a retry may try again.</summary>
    public async Task ReleaseAsync(RedisKey key, CreationRecord mark)
    {
        Settle(key, mark.Claim, null);
        await ReplaceOwnAsync(key, mark, database => database.KeyDeleteAsync(key));
    }

    /// <summary>
    /// Waits until the creation marked by <paramref name="mark"/> is no longer in flight, and returns what is under the
    /// key then: its answer, another attempt's mark, or null (it failed, or its mark lapsed).
    /// </summary>
    /// <exception cref="TimeoutException">Still in flight after <paramref name="timeout"/>.</exception>
    public async Task<CreationRecord?> WaitAsync(RedisKey key, CreationRecord mark, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_local.TryGetValue(key!, out var entry) && entry.Record.Claim == mark.Claim)
        {
            return await entry.Settled.Task.WaitAsync(timeout, time, cancellationToken);
        }

        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            await Task.Delay(PollInterval, time, cancellationToken);
            var current = await FindAsync(key);
            if (current is null || current.Claim != mark.Claim || current.Answer is not null)
            {
                return current;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException();
            }
        }
    }

    // Only the claim that wrote the mark replaces it, so an older attempt finishing late never overwrites the mark of
    // a newer one; a mark Redis never had (it was away at the claim) is written as if it had.
    private async Task ReplaceOwnAsync(RedisKey key, CreationRecord mark, Func<ITransaction, Task> write)
    {
        var markBytes = mark.Serialize();
        foreach (var condition in new[] { Condition.StringEqual(key, markBytes), Condition.KeyNotExists(key) })
        {
            var done = await redis.TryAsync(async database =>
            {
                var transaction = database.CreateTransaction();
                transaction.AddCondition(condition);
                _ = write(transaction);
                return await transaction.ExecuteAsync();
            }, true);
            if (done)
            {
                return;
            }
        }
    }

    /// <returns>Whether this replica held the claim: its waiters are woken with <paramref name="outcome"/>.</returns>
    private bool Settle(RedisKey key, Guid claim, CreationRecord? outcome)
    {
        if (!_local.TryGetValue(key!, out var entry) || entry.Record.Claim != claim)
        {
            return false;
        }

        if (outcome is null)
        {
            _local.TryRemove(new KeyValuePair<string, Entry>(key!, entry));
        }
        else
        {
            _local.TryUpdate(key!, new Entry(outcome), entry);
        }

        entry.Settled.TrySetResult(outcome);
        return outcome is not null;
    }

    // Past the byte budget, answers go in order of expiry, the expired first.
    private void Prune()
    {
        if (Interlocked.Read(ref _localBytes) <= options.Value.LocalBytes)
        {
            return;
        }

        // Answers replaced or removed since are counted again from what is actually kept.
        Interlocked.Exchange(ref _localBytes, _local.Values.Sum(static entry => (long)(entry.Record.Answer?.Body.Length ?? 0)));

        foreach (var (key, entry) in _local.Where(static pair => pair.Value.Record.Answer is not null).OrderBy(static pair => pair.Value.Record.ExpiresAt).ToArray())
        {
            if (_local.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
            {
                Interlocked.Add(ref _localBytes, -entry.Record.Answer!.Body.Length);
            }

            if (Interlocked.Read(ref _localBytes) <= options.Value.LocalBytes * 3 / 4)
            {
                return;
            }
        }
    }

    private sealed class Entry(CreationRecord record)
    {
        public CreationRecord Record { get; } = record;

        public TaskCompletionSource<CreationRecord?> Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
