using Gateway.Caching;
using Gateway.Cluster;

namespace Gateway.Jobs;

/// <summary>What a notice from another replica means for a reader here: the same answer it would have fetched.</summary>
internal sealed class NoticeReads(ResponseCache cache, RunningAnswers running)
{
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
