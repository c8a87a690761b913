using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

/// <summary>
/// Everything a read does after the caller's first look missed: coalesce, lease, re-check, fetch, tell. The picture,
/// what each step guarantees and what happens without Redis, is in this folder's README.md.
/// </summary>
internal sealed class JobMisses(
    ResponseCache cache,
    RunningAnswers running,
    JobLeases leases,
    JobNotices notices,
    NoticeReads noticeReads,
    JobFetch fetch,
    RefreshQueue refreshes,
    TeamQuotas quotas,
    UpstreamBudget budget,
    GatewayMetrics metrics,
    ILogger<JobMisses> logger,
    IOptions<UpstreamOptions> upstream)
{
    private const string FreshFlight = "#fresh";
    private const string NotifiedFlight = "#notified";

    // How long a replica waiting on another's fetch trusts the holder before it looks at the lease again. This bounds
    // the cost of a notice lost in transit (one extra fetch) without polling Redis hard; a holder that died is
    // replaced when its lease lapses. Leases live on Redis's clock, so these waits use the real one.
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(250);

    private readonly RequestCoalescer<JobRead> _flights = new();

    /// <summary>Readers waiting for an upstream answer right now.</summary>
    public int Waiting => _flights.Waiting;

    // Long enough for the holder's whole fetch: the wait for an upstream budget slot and the upstream timeout.
    private TimeSpan LeaseDuration => upstream.Value.BudgetWait + upstream.Value.Timeout + TimeSpan.FromSeconds(1);

    /// <param name="kind">
    /// What the read is for. A <see cref="ReadKind.Fresh"/> or <see cref="ReadKind.Notified"/> read skips the shared
    /// running answer. A notified one (Reducto's completion webhook) also does not wait for another replica's fetch of
    /// the job under the lease (a refresh that may have read the job just before it finished, after waiting its turn for
    /// the budget), so completion reaches every replica within one upstream read, at most one read more per webhook;
    /// and its budget slot comes before any queued refresh or poll's (<see cref="Upstream.FairShareLimiter"/>): it ends
    /// work rather than adding to it, and there is one per job.
    /// </param>
    public async Task<JobRead> ReadAsync(string jobId, string key, string team, ReadKind kind, CancellationToken cancellationToken)
    {
        var fresh = kind != ReadKind.Plain;
        var notified = kind == ReadKind.Notified;

        // A team known to be out of quota neither starts nor joins a flight: its refusal must not become the answer
        // of another team's callers collapsed onto the same read.
        if (OutOfQuota(team))
        {
            return JobRead.Failed(UpstreamFailure.QuotaExceeded, cache.IsAvailable);
        }

        if (!fresh && AtOnce(key) && await AnswerWithoutWaitingAsync(jobId, key, team) is { } answered)
        {
            return answered;
        }

        // Fresh reads fly apart from plain ones: joining a plain flight could hand them the shared answer they skip.
        // Without a window there is nothing to skip, and they share flights as they always did.
        var flight = notified ? key + NotifiedFlight : fresh && running.Enabled ? key + FreshFlight : key;
        var (read, collapsed) = await _flights.RunAsync(
            flight, () => notified ? NotifiedFetchAsync(jobId, key, team) : FlyAsync(jobId, key, team, fresh), cancellationToken);

        // A fetch the budget turned away (a slot looked free, and was taken by the time it asked) still leaves a plain
        // read the answer there is: only a job with no answer anywhere is told to retry.
        if (read.Failure == UpstreamFailure.BudgetExhausted && !fresh && running.Enabled &&
            await AnswerWithoutWaitingAsync(jobId, key, team) is { } spared)
        {
            return spared;
        }

        if (!collapsed)
        {
            return read;
        }

        var outcome = read.Outcome == CacheOutcome.Hit ? CacheOutcome.Hit : read.AnsweredAt is not null ? CacheOutcome.Shared : CacheOutcome.Miss;
        return read with { Collapsed = true, Outcome = outcome };
    }

    /// <summary>
    /// Whether a plain read of the job, its window lapsed, is answered at once with the answer there is rather than made
    /// to wait: the one rule for the pipeline and the direct path (which gives such an answer only when it would be
    /// stale). A team known to be out of quota is refused instead.
    /// </summary>
    public bool AnswersAtOnce(string key, string team) => !OutOfQuota(team) && AtOnce(key);

    /// <summary>A stale answer was given (here, or on the direct path): counted, and its job queued for one refresh.</summary>
    public void ServedStale(string jobId, string key, string team, DateTimeOffset answeredAt)
    {
        metrics.StaleAnswer(team, answeredAt);
        refreshes.Enqueue(key, team, answeredAt, () => RefreshAsync(jobId, key, team, answeredAt));
    }

    private bool OutOfQuota(string team) => quotas.View(team) is { Remaining: 0 };

    // A plain read of a running job whose window lapsed never queues for the budget while an answer exists. A fetch
    // of the job already under way for a plain miss is joined: it took a slot (or waits on another replica's fetch)
    // and answers within a round trip, fresh. Otherwise, with no slot free now, or with a refresh of the job queued or
    // under way behind a stale answer, the read gets the freshest answer there is at once (stale, if nothing newer)
    // and the job is queued for one refresh (RefreshQueue: oldest answer first). Only a job with no answer anywhere
    // waits.
    private bool AtOnce(string key)
    {
        var refreshing = refreshes.Holds(key);
        return running.Enabled && (refreshing || !_flights.IsFlying(key)) && (refreshing || !budget.JobPollSlotFree);
    }

    // The freshest answer there is, at once: shared if fresh, else stale with the job queued for one refresh; null
    // when the job has no answer anywhere (or is known to be terminal).
    private async ValueTask<JobRead?> AnswerWithoutWaitingAsync(string jobId, string key, string team)
    {
        if (await running.GetFreshOrStaleAsync(jobId) is not { } found)
        {
            return null;
        }

        var (answer, stale) = found;
        if (!stale)
        {
            return JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared, cache.IsAvailable);
        }

        ServedStale(jobId, key, team, answer.AnsweredAt);
        return JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Stale, cache.IsAvailable);
    }

    // Claims the job's refresh for the deployment, waits for a budget slot in its team's turn (after the team's
    // callers), then joins or starts the plain flight without making anyone wait for it: its answer is shared (or
    // stored) for the next reads, and its notice tells the other replicas. The claim (JobLeases.Refresh) is what another
    // replica's refresh of the job gives way to; the fetch lease is taken only once the slot is granted, so a plain read
    // elsewhere that waits on it waits for one upstream read, never for this replica's budget queue.
    private async Task RefreshAsync(string jobId, string key, string team, DateTimeOffset servedAt)
    {
        try
        {
            // One round trip for both: queued behind an answer given at servedAt, another replica may have read the job
            // since, and shared it, or be refreshing it now, and its notice will bring the answer. Either way this
            // refresh drops at once, its slot free for the next job.
            var claim = leases.TryTakeAsync(JobLeases.Refresh, jobId, LeaseDuration);
            var refreshed = await running.RefreshedSinceAsync(jobId, servedAt);
            var claimed = await claim;
            if (claimed == LeaseOutcome.Held)
            {
                return;
            }

            metrics.StaleRefreshInFlight(+1);
            try
            {
                if (!refreshed && await budget.AcquireJobPollAsync(team, CancellationToken.None, BudgetLane.Background))
                {
                    await _flights.RunAsync(key, () => FlyAsync(jobId, key, team, fresh: false, admitted: true), CancellationToken.None);
                }
            }
            finally
            {
                metrics.StaleRefreshInFlight(-1);
                if (claimed == LeaseOutcome.Taken)
                {
                    await leases.ReleaseAsync(JobLeases.Refresh, jobId);
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.RefreshFailed(jobId, exception);
        }
    }

    // One flight per job and kind in this process; across replicas, one fetch per job through the fetch lease.
    /// <param name="admitted">A refresh's flight: its budget slot was granted before it set out.</param>
    private async Task<JobRead> FlyAsync(string jobId, string key, string team, bool fresh, bool admitted = false)
    {
        // A flight that ended between this caller's miss and this flight's start stored the job here: a dictionary
        // lookup saves the lease's round trips in that race, which is common when many callers arrive at once.
        if (cache.GetLocal(key) is { } stored)
        {
            return JobRead.Hit(stored);
        }

        // One look at Redis per flight, not per caller: a replica that missed another's notice finds its answer there.
        if (!fresh && await SharedAsync(jobId) is { } shared)
        {
            return shared;
        }

        // Listening starts before the lease is tried, so the holder's notice cannot slip past in between.
        using var next = notices.Next(jobId);
        while (true)
        {
            switch (await leases.TryTakeAsync(JobLeases.Fetch, jobId, LeaseDuration))
            {
                case LeaseOutcome.Unavailable:
                    return await ReCheckOrFetchAsync(jobId, key, team, fresh, BudgetLane.Caller, admitted);

                case LeaseOutcome.Taken:
                    try
                    {
                        return await ReCheckOrFetchAsync(jobId, key, team, fresh, BudgetLane.Caller, admitted);
                    }
                    finally
                    {
                        await leases.ReleaseAsync(JobLeases.Fetch, jobId);
                    }

                case LeaseOutcome.Held:
                    if (await next.WaitAsync(Recheck, TimeProvider.System) is { } notice && await noticeReads.ReadAsync(notice, key) is { } read)
                    {
                        return read;
                    }

                    break;
            }
        }
    }

    // A webhook's read never waits for the fetch lease, but takes it when it is free: once the job is marked terminal,
    // and before its entry is stored (the leases on its running answer are revoked in between), other replicas' reads
    // then wait for this read's notice rather than read the finished job again.
    private async Task<JobRead> NotifiedFetchAsync(string jobId, string key, string team)
    {
        var taken = await leases.TryTakeAsync(JobLeases.Fetch, jobId, LeaseDuration) == LeaseOutcome.Taken;
        try
        {
            return await ReCheckOrFetchAsync(jobId, key, team, fresh: true, BudgetLane.Urgent);
        }
        finally
        {
            if (taken)
            {
                await leases.ReleaseAsync(JobLeases.Fetch, jobId);
            }
        }
    }

    // The one re-check against Redis, made once this process may fetch: the previous lease holder may have stored the
    // job between this replica's miss and its lease, or refreshed the running window, its notice lost or not yet here.
    private async Task<JobRead> ReCheckOrFetchAsync(string jobId, string key, string team, bool fresh, BudgetLane lane, bool admitted = false)
    {
        if ((await cache.GetAsync(key, CancellationToken.None)).Entry is { } stored)
        {
            return JobRead.Hit(stored) with { Collapsed = true };
        }

        if (!fresh && await SharedAsync(jobId) is { } answer)
        {
            return answer with { Collapsed = true };
        }

        var read = await fetch.FetchAsync(jobId, team, lane, admitted);
        await notices.PublishAsync(read.ToNotice(jobId));
        return read;
    }

    private async Task<JobRead?> SharedAsync(string jobId) =>
        await running.GetAsync(jobId) is { } answer ? JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared) : null;
}
