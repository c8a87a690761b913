using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Redis;

namespace Gateway.Jobs;

/// <summary>
/// Serves a job read: a fresh cached copy if there is one, then (for plain reads) a running answer still within its
/// shared window, otherwise the miss path (<see cref="JobMisses"/>). The terminal cache is asked first, so a stored
/// terminal answer always wins over a running one.
/// </summary>
internal sealed class JobReader(ResponseCache cache, RunningAnswers running, JobMisses misses, JobLeases leases, RedisKeys keys)
{
    /// <summary>Readers waiting for an upstream answer right now.</summary>
    public int Waiting => misses.Waiting;

    /// <summary>Whether the shared store answers, as a read's <c>Cache-Status</c> reports it.</summary>
    public bool CacheAvailable => cache.IsAvailable;

    /// <param name="team">Who asks; an upstream call made for this read is charged to that team's share of the budget.</param>
    /// <param name="kind">What the read is for; any but <see cref="ReadKind.Plain"/> skips the shared running answer.</param>
    public async ValueTask<JobRead> ReadAsync(string jobId, string team, CancellationToken cancellationToken, ReadKind kind = ReadKind.Plain)
    {
        var key = keys.ForJob(jobId);
        var lookup = await cache.GetAsync(key, cancellationToken);
        if (lookup.Entry is { } hit)
        {
            return JobRead.Hit(hit);
        }

        return kind == ReadKind.Plain && running.GetLocal(jobId) is { } answer
            ? JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared)
            : await misses.ReadAsync(jobId, key, team, kind, cancellationToken);
    }

    /// <summary>
    /// One poll on behalf of long-polling callers. Watchers on every replica share one poll lease per job that lapses
    /// after <paramref name="interval"/>, so the whole cluster polls a watched job at most once per interval.
    /// </summary>
    /// <returns>The answer, or null when another replica polled within the interval (its notice tells the rest).</returns>
    public async Task<JobRead?> PollAsync(string jobId, string team, TimeSpan interval) =>
        await leases.TryTakeAsync(JobLeases.Poll, jobId, PollLease(interval)) == LeaseOutcome.Held
            ? null
            : await ReadAsync(jobId, team, CancellationToken.None, ReadKind.Fresh);

    // A lease exactly one interval long outlives it by a hair whenever a timer fires early against Redis's clock: the
    // holder then finds its own lease, every replica skips the round, and the job goes unpolled for two intervals.
    // Measured in the long-poll benchmark as 4 s gaps at a 2 s interval.
    private static TimeSpan PollLease(TimeSpan interval) =>
        interval - TimeSpan.FromTicks(Math.Min(interval.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks));
}
