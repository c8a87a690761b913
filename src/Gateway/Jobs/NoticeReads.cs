using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Redis;

namespace Gateway.Jobs;

/// <summary>
/// The one reader of notices: what another replica's notice means here, both for what this replica may serve (its
/// memory tier and running answers) and for a reader waiting on the job (the same answer it would have fetched).
/// <see cref="JobNotices"/> only carries them.
/// </summary>
internal sealed class NoticeReads(ResponseCache cache, MemoryTier memory, RunningAnswers running, RedisKeys keys)
{
    /// <summary>
    /// Applies another replica's notice to what this process may serve, before anyone here is woken by it: an eviction
    /// forgets the job, a terminal answer ends its running window, a running one is shared for the rest of its window.
    /// </summary>
    public void Learn(JobNotice notice)
    {
        switch (notice.Kind)
        {
            case JobNoticeKind.Evicted:
                memory.Remove(keys.ForJob(notice.JobId));
                running.DropLocally(notice.JobId);
                break;
            case JobNoticeKind.Stored or JobNoticeKind.Revoked:
                running.MarkTerminalLocally(notice.JobId);
                break;
            case JobNoticeKind.Response when notice.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status410Gone:
                running.DropLocally(notice.JobId);
                break;
            case JobNoticeKind.Response when notice.IsTerminalAnswer:
                running.MarkTerminalLocally(notice.JobId);
                break;
            case JobNoticeKind.Response when notice.RunningAnswer() is { } answer:
                running.Keep(notice.JobId, answer);
                break;
        }
    }

    /// <returns>The read, or null when the notice says nothing usable (an eviction, a stored entry already gone).</returns>
    public async Task<JobRead?> ReadAsync(JobNotice notice, string key)
    {
        switch (notice.Kind)
        {
            case JobNoticeKind.Stored:
                var lookup = await cache.GetAsync(key, CancellationToken.None);
                return lookup.Entry is { } stored ? JobRead.Hit(stored) with { Collapsed = true } : null;
            case JobNoticeKind.Response when notice.RunningAnswer() is { } answer && running.Enabled:
                return JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared, collapsed: true);
            case JobNoticeKind.Response or JobNoticeKind.Failed:
                return JobRead.FromNotice(notice);
            default:
                return null;
        }
    }
}
