using Gateway.Caching;
using Gateway.Jobs;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Cluster;

/// <summary>
/// One upstream fetch of a job for all replicas sharing a Redis. The replica that takes the job's fetch lease asks
/// the upstream and publishes what it got; the others wait for that notice instead of asking too. Without a shared
/// store (none configured, or it is down) each replica fetches for itself, coalesced within the process as before.
/// A running job's window is refreshed the same way: whoever takes the lease once the window lapsed reads the upstream,
/// and everyone else gets that answer.
/// </summary>
internal sealed class ClusterFlight(JobLeases leases, JobNotices notices, ResponseCache cache, RunningAnswers running, IOptions<UpstreamOptions> upstream)
{
    // How long a waiting replica trusts the holder before it looks at the lease again. This bounds the cost of a
    // notice lost in transit (one extra fetch) without polling Redis hard; a holder that died is replaced when its
    // lease lapses. Leases live on Redis's clock, so these waits use the real one.
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(250);

    // Long enough for the holder's whole fetch: the wait for an upstream budget slot and the upstream timeout.
    private TimeSpan LeaseDuration => upstream.Value.BudgetWait + upstream.Value.Timeout + TimeSpan.FromSeconds(1);

    /// <param name="shared">For plain reads: the running answer shared meanwhile, if any, which serves them too.</param>
    public async Task<JobRead> RunAsync(string jobId, string key, Func<Task<JobRead>> fetch, Func<Task<JobRead?>>? shared = null)
    {
        // Listening starts before the lease is tried, so the holder's notice cannot slip past in between.
        using var next = notices.Next(jobId);
        while (true)
        {
            switch (await leases.TryTakeAsync(JobLeases.Fetch, jobId, LeaseDuration))
            {
                case LeaseOutcome.Unavailable:
                    return await FetchAndTellAsync(jobId, fetch);

                case LeaseOutcome.Taken:
                    try
                    {
                        // The previous holder may have stored it between this replica's miss and its lease.
                        if ((await cache.GetAsync(key, CancellationToken.None)).Entry is { } stored)
                        {
                            return JobRead.FromCache(stored) with { Collapsed = true };
                        }

                        // Or refreshed the window, its notice lost or not yet here.
                        if (shared is not null && await shared() is { } answer)
                        {
                            return answer with { Collapsed = true };
                        }

                        return await FetchAndTellAsync(jobId, fetch);
                    }
                    finally
                    {
                        await leases.ReleaseAsync(JobLeases.Fetch, jobId);
                    }

                case LeaseOutcome.Held:
                    if (await next.WaitAsync(Recheck, TimeProvider.System) is { } notice && await ReadAsync(notice, key) is { } read)
                    {
                        return read;
                    }

                    break;
            }
        }
    }

    /// <summary>What a notice from another replica means for a reader here; null when it says nothing usable.</summary>
    public async Task<JobRead?> ReadAsync(JobNotice notice, string key)
    {
        switch (notice.Kind)
        {
            case JobNoticeKind.Stored:
                var lookup = await cache.GetAsync(key, CancellationToken.None);
                return lookup.Entry is { } stored ? JobRead.FromCache(stored) with { Collapsed = true } : null;
            case JobNoticeKind.Response when notice.RunningAnswer() is { } answer && running.Enabled:
                return JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared, collapsed: true);
            case JobNoticeKind.Response or JobNoticeKind.Failed:
                return notice.ToRead();
            default:
                return null;
        }
    }

    private async Task<JobRead> FetchAndTellAsync(string jobId, Func<Task<JobRead>> fetch)
    {
        var read = await fetch();
        await notices.PublishAsync(JobNotice.For(jobId, read));
        return read;
    }
}
