using Gateway.Caching;
using Gateway.Redis;
using Gateway.Upstream;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Jobs;

/// <summary>
/// Running jobs' answers, shared for <see cref="JobOptions.PendingFreshness"/> from the moment the upstream answered:
/// in this process's memory (filled by its own reads and by other replicas' notices) and in Redis (one key per job,
/// expiring with the window), so a replica that missed a notice still finds the answer before it asks the upstream.
/// Freshness is always judged on this process's clock from the answer's own time; the Redis expiry only bounds how
/// long a key can linger. A job known to be terminal is marked, here and in Redis, for longer than any refresh can
/// take, so an answer fetched just before completion is never shared after it. Redis fails open as the response
/// cache does: while it is down each replica shares only what it read or was told itself.
/// </summary>
internal sealed class RunningAnswers(
    SharedRedis redis,
    RedisKeys keys,
    IOptions<JobOptions> jobs,
    IOptions<UpstreamOptions> upstream,
    IOptions<CacheOptions> cacheOptions,
    TimeProvider time) : IDisposable
{
    // Bookkeeping per entry, as in the memory tier, so many small bodies still count against the budget.
    private const int EntryOverheadBytes = 256;

    // The local cache expires entries on the real clock, so it only cleans up; freshness is checked against the
    // gateway's own clock. The slack keeps a fake clock in tests, or a clock that runs behind, in charge.
    private static readonly TimeSpan CleanupSlack = TimeSpan.FromMinutes(1);

    // Sets a running answer unless the job is already marked terminal, in one atomic round trip. GETRANGE reads the
    // mark alone, not the body.
    private const string ShareScript = """
        if redis.call('GETRANGE', KEYS[1], 0, 0) == 'T' then
            return 0
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;

    private static readonly object TerminalEntry = new();

    // Running bodies are small next to terminal ones; an eighth of the memory tier's budget holds thousands.
    private readonly MemoryCache _local = new(new MemoryCacheOptions
    {
        SizeLimit = Math.Max(cacheOptions.Value.InProcessSizeLimitBytes / 8, 1 << 20),
        CompactionPercentage = 0.2,
    });

    public TimeSpan Window => jobs.Value.PendingFreshness;

    /// <summary>Whether running answers are shared at all (<see cref="JobOptions.PendingFreshness"/> above zero).</summary>
    public bool Enabled => Window > TimeSpan.Zero;

    // A refresh under way when the job finished lands within its fetch lease: the budget wait, the upstream timeout
    // and a second. Marked for that long, and for as long as what it brought back could be shared (the window) or
    // served stale (StaleRunningAnswers), nothing it brings back is given out.
    private TimeSpan TerminalMarkLifetime =>
        (Window > jobs.Value.StaleRunningAnswers ? Window : jobs.Value.StaleRunningAnswers) + upstream.Value.BudgetWait + upstream.Value.Timeout + TimeSpan.FromSeconds(1);

    /// <summary>When an answer stops being shared.</summary>
    public DateTimeOffset FreshUntil(RunningAnswer answer) => answer.AnsweredAt + Window;

    /// <summary>The fresh answer this process holds, or null.</summary>
    public RunningAnswer? GetLocal(string jobId) =>
        Enabled && _local.TryGetValue(jobId, out var entry) && entry is RunningAnswer answer && IsFresh(answer) ? answer : null;

    /// <summary>The fresh answer this process holds or Redis has, or null.</summary>
    public async ValueTask<RunningAnswer?> GetAsync(string jobId) => (await LookAsync(jobId)).Fresh;

    /// <summary>
    /// The fresh answer (as <see cref="GetAsync"/>), or else the newest answer this process or Redis holds if it is no
    /// older than <see cref="JobOptions.StaleRunningAnswers"/>, marked stale; null when neither, or when the job is known
    /// to be terminal. Redis keeps every shared answer for its window and the stale limit, so a replica that never read
    /// the job itself serves another's answer stale rather than wait for a slot. The look at Redis comes first, so a
    /// terminal mark another replica left there is learnt before any stale answer is handed out; the mark outlives the
    /// stale limit, so a completion seen anywhere while Redis answers is never answered as running.
    /// </summary>
    public async ValueTask<(RunningAnswer Answer, bool Stale)?> GetFreshOrStaleAsync(string jobId)
    {
        var (fresh, latest, _) = await LookAsync(jobId);
        if (fresh is not null)
        {
            return (fresh, false);
        }

        return latest is not null && ServableStale(latest) ? (latest, true) : null;
    }

    /// <summary>
    /// This process's own answer once its window has lapsed, if it may still be served stale and the job is not known to
    /// be terminal: what the direct path gives stale, with no look at Redis for a newer one (other replicas' refreshes
    /// reach it by notice).
    /// </summary>
    public RunningAnswer? GetLocalStale(string jobId) =>
        Enabled && _local.TryGetValue(jobId, out var entry) && entry is RunningAnswer answer && !IsFresh(answer) && ServableStale(answer) ? answer : null;

    private bool ServableStale(RunningAnswer answer)
    {
        var limit = jobs.Value.StaleRunningAnswers;
        return limit > TimeSpan.Zero && answer.AnsweredAt + limit > time.GetUtcNow();
    }

    /// <summary>
    /// Whether the job was read again since <paramref name="servedAt"/> by this or any replica (an answer newer than that
    /// here or in Redis), or is known to be terminal: a refresh queued behind a stale answer given at that time is then
    /// spent already. This is how replicas share one refresh per job and period without a scheduler of their own.
    /// </summary>
    public async ValueTask<bool> RefreshedSinceAsync(string jobId, DateTimeOffset servedAt)
    {
        var look = await LookAsync(jobId);
        return look.Terminal || look.Latest?.AnsweredAt > servedAt;
    }

    // The fresh answer here or in Redis, else the newest answer either holds; neither once the job is known terminal.
    private async ValueTask<Look> LookAsync(string jobId)
    {
        if (!Enabled)
        {
            return default;
        }

        RunningAnswer? held = null;
        if (_local.TryGetValue(jobId, out var entry))
        {
            if (entry == TerminalEntry)
            {
                return Look.Ended;
            }

            if (entry is RunningAnswer local)
            {
                if (IsFresh(local))
                {
                    return new Look(local, local);
                }

                held = local;
            }
        }

        var value = await redis.TryAsync(database => database.StringGetAsync(keys.Running(jobId)), RedisValue.Null);
        if (value.IsNull)
        {
            return new Look(null, held);
        }

        var bytes = (ReadOnlyMemory<byte>)value;
        if (bytes.Span is [RunningAnswer.TerminalMark])
        {
            MarkTerminalLocally(jobId);
            return Look.Ended;
        }

        if (RunningAnswer.Deserialize(bytes) is not { } stored)
        {
            return new Look(null, held);
        }

        if (IsFresh(stored))
        {
            Keep(jobId, stored);
            return new Look(stored, stored);
        }

        return new Look(null, held is null || stored.AnsweredAt > held.AnsweredAt ? stored : held);
    }

    private readonly record struct Look(RunningAnswer? Fresh, RunningAnswer? Latest, bool Terminal = false)
    {
        public static readonly Look Ended = new(null, null, Terminal: true);
    }

    /// <summary>Holds an answer another replica fetched (it shared it in Redis itself); a newer one or a terminal mark wins.</summary>
    public void Keep(string jobId, RunningAnswer answer)
    {
        if (!Enabled || !IsFresh(answer))
        {
            return;
        }

        if (_local.TryGetValue(jobId, out var entry) && (entry == TerminalEntry || entry is RunningAnswer held && held.AnsweredAt >= answer.AnsweredAt))
        {
            return;
        }

        _local.Set(jobId, answer, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = Window + jobs.Value.StaleRunningAnswers + CleanupSlack,
            Size = answer.Body.Length + EntryOverheadBytes,
        });
    }

    /// <summary>Shares an answer this process just got from the upstream: here at once, then in Redis for the rest of the window (and the stale limit after it).</summary>
    public async Task ShareAsync(string jobId, RunningAnswer answer)
    {
        Keep(jobId, answer);

        // Kept past its window for as long as it may be served stale, by any replica.
        var remaining = FreshUntil(answer) + jobs.Value.StaleRunningAnswers - time.GetUtcNow();
        if (Enabled && remaining > TimeSpan.Zero)
        {
            await redis.TryAsync(database => database.ScriptEvaluateAsync(
                ShareScript, [keys.Running(jobId)], [answer.Serialize(), Math.Max(1, (long)Math.Ceiling(remaining.TotalMilliseconds))]));
        }
    }

    /// <summary>The job is terminal: no replica may share a running answer for it again.</summary>
    public async Task EndAsync(string jobId)
    {
        if (!Enabled)
        {
            return;
        }

        MarkTerminalLocally(jobId);
        await redis.TryAsync(database => database.StringSetAsync(keys.Running(jobId), RunningAnswer.Terminal, TerminalMarkLifetime));
    }

    /// <summary>What another replica's notice says: the job is terminal.</summary>
    public void MarkTerminalLocally(string jobId)
    {
        if (Enabled)
        {
            // Never compacted away under memory pressure: a lease on the job's running answer is only as good as this mark.
            _local.Set(jobId, TerminalEntry, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = TerminalMarkLifetime,
                Size = EntryOverheadBytes,
                Priority = CacheItemPriority.NeverRemove,
            });
        }
    }

    /// <summary>Whether this process knows the job is terminal (its own read, a notice, a look, a revoked lease).</summary>
    public bool KnownTerminal(string jobId) => _local.TryGetValue(jobId, out var entry) && entry == TerminalEntry;

    /// <summary>The job was deleted, cancelled or purged: forget its answer here and in Redis.</summary>
    public async Task DropAsync(string jobId)
    {
        _local.Remove(jobId);
        if (Enabled)
        {
            await redis.TryAsync(database => database.KeyDeleteAsync(keys.Running(jobId)));
        }
    }

    /// <summary>What another replica's eviction notice says: forget the answer here.</summary>
    public void DropLocally(string jobId) => _local.Remove(jobId);

    public void Dispose() => _local.Dispose();

    private bool IsFresh(RunningAnswer answer) => FreshUntil(answer) > time.GetUtcNow();
}
