using Gateway.Caching;
using Gateway.Credits;
using Gateway.Ownership;
using Gateway.Redis;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

/// <summary>
/// One upstream read of a job and what it leaves behind: charged to the budget and the team's quota first, then a
/// terminal 200 stored (memory tier and Redis), a running 200 shared for its window, a 404 or 410 forgotten, anything
/// else passed on untouched; a terminal job's credits booked to its creator, and a Completed one offered for reuse. Called only by <see cref="JobMisses"/>, once it holds the right to fetch.
/// </summary>
internal sealed class JobFetch(
    ResponseCache cache,
    RunningAnswers running,
    RunningConfirmations confirmations,
    RedisKeys keys,
    UpstreamClient upstream,
    UpstreamBudget budget,
    TeamQuotas quotas,
    GatewayMetrics metrics,
    OwnershipLedger owners,
    CreditLedger credits,
    Creations.JobReuse reuse,
    UnknownJobAnswer unknown,
    IOptions<CacheOptions> options,
    TimeProvider time,
    ILogger<JobFetch> logger)
{
    /// <param name="lane">Where the read waits for its budget slot: a completion webhook's before every queued read.</param>
    /// <param name="admitted">The slot was granted before (a refresh waits for it before it takes the fetch lease).</param>
    public async Task<JobRead> FetchAsync(string jobId, string team, BudgetLane lane = BudgetLane.Caller, bool admitted = false)
    {
        var cacheAvailable = cache.IsAvailable;
        if (!admitted && !await budget.AcquireJobPollAsync(team, CancellationToken.None, lane))
        {
            return JobRead.Failed(UpstreamFailure.BudgetExhausted, cacheAvailable);
        }

        // After the budget slot: a slot spent for nothing costs less than a quota charged for a call never made.
        if (!await quotas.TryChargeAsync(team))
        {
            return JobRead.Failed(UpstreamFailure.QuotaExceeded, cacheAvailable);
        }

        metrics.UpstreamCall(team, TelemetryExtensions.JobRoute);
        var response = await upstream.GetJobAsync(jobId, CancellationToken.None);
        if (response.Failure != UpstreamFailure.None)
        {
            return JobRead.Failed(response.Failure, cacheAvailable);
        }

        var answeredAt = time.GetUtcNow();
        var read = JobRead.FromUpstream(response, cacheAvailable);
        if (response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status410Gone)
        {
            // The job is gone: nobody should keep being told it runs.
            await running.DropAsync(jobId);
            if (response.StatusCode == StatusCodes.Status404NotFound)
            {
                unknown.Learn(jobId, read.ContentType, read.Body);
            }

            return read;
        }

        if (response.StatusCode != StatusCodes.Status200OK)
        {
            return read;
        }

        if (!read.Terminal)
        {
            if (!running.Enabled)
            {
                return read;
            }

            // With its owner, as a terminal entry keeps it, so the direct path judges a read of it without a look-up.
            var answer = new RunningAnswer(response.ContentType, read.Body, answeredAt, await owners.OwnerToCarryAsync(jobId));
            await running.ShareAsync(jobId, answer);
            return read with { AnsweredAt = answeredAt, SharedUntil = running.FreshUntil(answer), Owner = answer.Owner };
        }

        // The owner is stored with the entry, so every later hit is judged without a look-up. A webhook or a watcher may
        // be what stores it: the ledger, not the caller at hand, says whose it is, and whom its credits are booked to.
        var owner = await owners.FindAsync(OwnedKind.Job, jobId);

        // Before the terminal answer is stored where others read it, or given to anyone: a replica giving the running
        // answer on a lease stops first (RunningConfirmations; the design note has the argument).
        await confirmations.EndAsync(jobId);
        read = await StoreAsync(jobId, response.ContentType, response.BodyOrEmpty, read, owner);
        await credits.BookAsync(jobId, owner, response.BodyOrEmpty);
        await reuse.LearnedTerminalAsync(jobId, response.BodyOrEmpty);
        return read;
    }

    private async Task<JobRead> StoreAsync(string jobId, string? contentType, byte[] body, JobRead read, Owner? owner)
    {
        var facts = JobBodyFacts.Read(body);
        if (facts is null)
        {
            logger.NotStored(jobId, "body is not one complete JSON document");
            return read;
        }

        var etag = CachedResponse.ComputeETag(body);
        read = read with { ETag = etag };
        var now = time.GetUtcNow();
        var lifetime = CacheLifetime.Compute(facts, now, options.Value);
        if (lifetime <= TimeSpan.Zero)
        {
            logger.NotStored(jobId, "its data or a presigned URL in it expires too soon");
            return read;
        }

        var entry = CachedResponse.Create(contentType ?? "application/json", etag, body, now + lifetime, owner?.Team);
        read = read with { GzipBody = entry.GzipBody, GzipETag = entry.GzipETag };
        // Always kept in this process's memory tier; the flag says whether the shared store (Redis) took it too.
        var shared = await cache.SetAsync(keys.ForJob(jobId), entry, CancellationToken.None);
        logger.Stored(jobId, lifetime);
        return read with { Outcome = CacheOutcome.MissStored, CacheAvailable = shared };
    }
}
