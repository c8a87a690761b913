using Gateway.Caching;
using Gateway.Jobs;
using Gateway.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Forgets a job everywhere: this replica's memory tier, the shared store, and, through a notice, every other
/// replica's memory tier, which would otherwise keep serving a deleted or cancelled job until it expired. A running
/// job's shared answer goes too: a cancelled job must not be reported running for the rest of its window; and so does
/// its place in the reuse index, since a deleted job's result can no longer be given to anyone.
/// </summary>
internal sealed class JobEviction(ResponseCache cache, RunningAnswers running, RedisKeys keys, JobNotices notices, Creations.CompletedJobs reusable)
{
    /// <returns>Whether the shared store confirmed the removal (false while it is unavailable).</returns>
    public async Task<bool> EvictAsync(string jobId, CancellationToken cancellationToken)
    {
        var removed = await cache.RemoveAsync(keys.ForJob(jobId), cancellationToken);
        await running.DropAsync(jobId);
        await reusable.ForgetAsync(jobId);
        await notices.PublishAsync(JobNotice.Evicted(jobId));
        return removed;
    }
}
