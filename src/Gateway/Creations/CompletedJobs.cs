using System.Globalization;
using Gateway.Caching;
using Gateway.Ownership;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Creations;

/// <summary>A team's Completed job that a request with the same reuse key may be given, and what it cost.</summary>
internal sealed record ReusableJob(string JobId, long Pages, long Millicredits)
{
    public string Serialize() => string.Join('\n', JobId, Pages.ToString(CultureInfo.InvariantCulture), Millicredits.ToString(CultureInfo.InvariantCulture));

    public static ReusableJob? Deserialize(string? stored) =>
        stored?.Split('\n') is [{ Length: > 0 } job, var pages, var credits] &&
        long.TryParse(pages, NumberStyles.None, CultureInfo.InvariantCulture, out var p) &&
        long.TryParse(credits, NumberStyles.None, CultureInfo.InvariantCulture, out var c)
            ? new ReusableJob(job, p, c)
            : null;
}

/// <summary>A job created under a reuse key, waiting to be learnt Completed.</summary>
internal sealed record PendingReuse(string Team, string ReuseKey, DateTimeOffset CreatedAt)
{
    public string Serialize() => string.Join('\n', Team, ReuseKey, CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));

    public static PendingReuse? Deserialize(string? stored) =>
        stored?.Split('\n') is [{ Length: > 0 } team, { Length: > 0 } key, var at] &&
        long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? new PendingReuse(team, key, DateTimeOffset.FromUnixTimeMilliseconds(ms))
            : null;
}

/// <summary>
/// The reuse index, for the whole deployment: what each uploaded file's document is (per team), the reuse key each
/// job was created under, and per team and reuse key the Completed job to give. Everything lives in Redis (one
/// string each) and in the writing replica's memory, which is all there is without Redis; while Redis is away a
/// replica reuses only what it learnt itself. Nothing outlives Reducto's retention of the job (<c>Cache:JobRetention</c>
/// after its creation), past which its result could no longer be served.
/// </summary>
internal sealed class CompletedJobs(
    SharedRedis redis, RedisKeys keys, IOptions<CacheOptions> cache, IOptions<OwnershipOptions> ownership, TimeProvider time)
{
    // A later creation may have made another job the one to give meanwhile; that one stays.
    private const string DeleteIfEqual = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    private readonly LocalExpiringMap _files = new(time);
    private readonly LocalExpiringMap _jobs = new(time);
    private readonly LocalExpiringMap _completed = new(time);

    /// <summary>Records what <paramref name="fileId"/> holds, for as long as the ledger knows whose file it is.</summary>
    public Task RecordFileAsync(string team, string fileId, string content) =>
        SetAsync(_files, keys.ReuseFile(team, OwnedIds.File(fileId)), content, ownership.Value.Retention);

    /// <summary>What the team's <paramref name="fileId"/> holds, or null when the gateway never saw its bytes.</summary>
    public Task<string?> FileContentAsync(string team, string fileId) => GetAsync(_files, keys.ReuseFile(team, OwnedIds.File(fileId)));

    /// <summary>Remembers the reuse key of a job just created, until it is over.</summary>
    public Task RememberAsync(string jobId, string team, string reuseKey) =>
        SetAsync(_jobs, keys.ReuseJob(OwnedIds.Job(jobId)), new PendingReuse(team, reuseKey, time.GetUtcNow()).Serialize(), cache.Value.JobRetention);

    /// <summary>The reuse key <paramref name="jobId"/> was created under, or null for a job created without one.</summary>
    public async Task<PendingReuse?> PendingAsync(string jobId) => PendingReuse.Deserialize(await GetAsync(_jobs, keys.ReuseJob(OwnedIds.Job(jobId))));

    /// <summary>Makes <paramref name="job"/> the one its team's requests under its reuse key are given, until Reducto drops it.</summary>
    public Task CompleteAsync(PendingReuse pending, ReusableJob job)
    {
        var left = pending.CreatedAt + cache.Value.JobRetention - time.GetUtcNow();
        return left > TimeSpan.Zero ? SetAsync(_completed, keys.ReuseCompleted(pending.Team, pending.ReuseKey), job.Serialize(), left) : Task.CompletedTask;
    }

    public async Task<ReusableJob?> FindAsync(string team, string reuseKey) =>
        ReusableJob.Deserialize(await GetAsync(_completed, keys.ReuseCompleted(team, reuseKey)));

    /// <summary>A job deleted, cancelled or purged is never given again: its entry goes, if it is still the one named.</summary>
    public async Task ForgetAsync(string jobId)
    {
        if (await PendingAsync(jobId) is not { } pending)
        {
            return;
        }

        var key = keys.ReuseCompleted(pending.Team, pending.ReuseKey);
        foreach (var stored in new[] { _completed.Get(key!), await redis.TryAsync(async database => (string?)await database.StringGetAsync(key), null) })
        {
            if (ReusableJob.Deserialize(stored) is { } job && string.Equals(job.JobId, jobId, StringComparison.OrdinalIgnoreCase))
            {
                _completed.Remove(key!, stored!);
                await redis.TryAsync(database => database.ScriptEvaluateAsync(DeleteIfEqual, [key], [stored]));
            }
        }
    }

    private async Task SetAsync(LocalExpiringMap local, RedisKey key, string value, TimeSpan ttl)
    {
        local.Set(key!, value, ttl);
        await redis.TryAsync(database => database.StringSetAsync(key, value, ttl));
    }

    private async Task<string?> GetAsync(LocalExpiringMap local, RedisKey key) =>
        local.Get(key!) ?? await redis.TryAsync(async database => (string?)await database.StringGetAsync(key), null);
}
