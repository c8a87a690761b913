using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

/// <summary>
/// Serves a job read: a fresh cached copy if there is one, then (for plain reads) a running answer still within its
/// shared window, otherwise one upstream call per job id at a time (concurrent readers share it). A terminal 200 is
/// stored; a running 200 is shared for <see cref="JobOptions.PendingFreshness"/>; nothing else is kept. The terminal
/// cache is asked first, so a stored terminal answer always wins over a running one.
/// </summary>
internal sealed class JobReader(
    ResponseCache cache,
    RunningAnswers running,
    ClusterFlight cluster,
    JobLeases leases,
    CacheKeys keys,
    UpstreamClient upstream,
    UpstreamBudget budget,
    TeamQuotas quotas,
    GatewayMetrics metrics,
    IOptions<CacheOptions> options,
    TimeProvider time,
    ILogger<JobReader> logger)
{
    private const string FreshFlight = "#fresh";

    private readonly RequestCoalescer<JobRead> _flights = new();

    /// <summary>Readers waiting for an upstream answer right now.</summary>
    public int Waiting => _flights.Waiting;

    /// <param name="team">Who asks; an upstream call made for this read is charged to that team's share of the budget.</param>
    /// <param name="fresh">
    /// Skips the shared running answer: for reads whose point is to learn something new (a watcher's poll, a read
    /// prompted by a completion webhook). Their answer refreshes the window for everyone else.
    /// </param>
    public async ValueTask<JobRead> ReadAsync(string jobId, string team, CancellationToken cancellationToken, bool fresh = false)
    {
        var key = keys.ForJob(jobId);
        var lookup = await cache.GetAsync(key, cancellationToken);
        if (lookup.Entry is { } hit)
        {
            return JobRead.FromCache(hit);
        }

        return !fresh && running.GetLocal(jobId) is { } answer
            ? JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared)
            : await ReadThroughAsync(jobId, key, team, fresh, cancellationToken);
    }

    // Apart from the hit path so that a hit does not allocate the closure the flight needs.
    private async Task<JobRead> ReadThroughAsync(string jobId, string key, string team, bool fresh, CancellationToken cancellationToken)
    {
        // A team known to be out of quota neither starts nor joins a flight: its refusal must not become the answer
        // of another team's callers collapsed onto the same read.
        if (quotas.View(team) is { Remaining: 0 })
        {
            return new JobRead(UpstreamFailure.QuotaExceeded, 0, null, default, null, CacheOutcome.Miss, cache.IsAvailable);
        }

        // Fresh reads fly apart from plain ones: joining a plain flight could hand them the shared answer they skip.
        // Without a window there is nothing to skip, and they share flights as they always did.
        var flight = fresh && running.Enabled ? key + FreshFlight : key;
        var (read, collapsed) = await _flights.RunAsync(flight, () => FetchAsync(jobId, key, team, fresh), cancellationToken);
        if (!collapsed)
        {
            return read;
        }

        var outcome = read.Outcome == CacheOutcome.Hit ? CacheOutcome.Hit : read.AnsweredAt is not null ? CacheOutcome.Shared : CacheOutcome.Miss;
        return read with { Collapsed = true, Outcome = outcome };
    }

    /// <summary>
    /// One poll on behalf of long-polling callers. Watchers on every replica share one poll lease per job that lapses
    /// after <paramref name="interval"/>, so the whole cluster polls a watched job at most once per interval.
    /// </summary>
    /// <returns>The answer, or null when another replica polled within the interval (its notice tells the rest).</returns>
    public async Task<JobRead?> PollAsync(string jobId, string team, TimeSpan interval) =>
        await leases.TryTakeAsync(JobLeases.Poll, jobId, PollLease(interval)) == LeaseOutcome.Held
            ? null
            : await ReadAsync(jobId, team, CancellationToken.None, fresh: true);

    // A lease exactly one interval long outlives it by a hair whenever a timer fires early against Redis's clock: the
    // holder then finds its own lease, every replica skips the round, and the job goes unpolled for two intervals.
    // Measured in the long-poll benchmark as 4 s gaps at a 2 s interval.
    private static TimeSpan PollLease(TimeSpan interval) =>
        interval - TimeSpan.FromTicks(Math.Min(interval.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks));

    private async Task<JobRead> FetchAsync(string jobId, string key, string team, bool fresh)
    {
        // A flight that ended between this caller's miss and its own start may have stored the job already. Every
        // store lands in this process's memory tier, so that is the only place to look: no second Redis round trip.
        if (cache.GetLocal(key) is { } stored)
        {
            return JobRead.FromCache(stored);
        }

        // One look at Redis per flight, not per caller: a replica that missed another's notice finds its answer there.
        if (!fresh && await SharedAsync(jobId) is { } shared)
        {
            return shared;
        }

        return await cluster.RunAsync(jobId, key, () => FetchFromUpstreamAsync(jobId, team), fresh ? null : () => SharedAsync(jobId));
    }

    private async Task<JobRead?> SharedAsync(string jobId) =>
        await running.GetAsync(jobId) is { } answer ? JobRead.FromRunning(answer, running.FreshUntil(answer), CacheOutcome.Shared) : null;

    private async Task<JobRead> FetchFromUpstreamAsync(string jobId, string team)
    {
        var key = keys.ForJob(jobId);
        var cacheAvailable = cache.IsAvailable;
        if (!await budget.AcquireJobPollAsync(team, CancellationToken.None))
        {
            return new JobRead(UpstreamFailure.BudgetExhausted, 0, null, default, null, CacheOutcome.Miss, cacheAvailable);
        }

        // After the budget slot: a slot spent for nothing costs less than a quota charged for a call never made.
        if (!await quotas.TryChargeAsync(team))
        {
            return new JobRead(UpstreamFailure.QuotaExceeded, 0, null, default, null, CacheOutcome.Miss, cacheAvailable);
        }

        metrics.UpstreamCall(team, TelemetryExtensions.JobRoute);
        var response = await upstream.GetJobAsync(jobId, CancellationToken.None);
        if (response.Failure != UpstreamFailure.None)
        {
            return new JobRead(response.Failure, 0, null, default, null, CacheOutcome.Miss, cacheAvailable);
        }

        var body = response.BodyOrEmpty;
        var answeredAt = time.GetUtcNow();
        var read = new JobRead(UpstreamFailure.None, response.StatusCode, response.ContentType, body, null, CacheOutcome.Miss, cacheAvailable,
            RetryAfterHint: response.RetryAfterHint);
        if (response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status410Gone)
        {
            // The job is gone: nobody should keep being told it runs.
            await running.DropAsync(jobId);
            return read;
        }

        if (response.StatusCode != StatusCodes.Status200OK)
        {
            return read;
        }

        if (!JobStatus.IsTerminal(JobStatus.Read(body)))
        {
            if (!running.Enabled)
            {
                return read;
            }

            var answer = new RunningAnswer(response.ContentType, body, answeredAt);
            await running.ShareAsync(jobId, answer);
            return read with { AnsweredAt = answeredAt, SharedUntil = running.FreshUntil(answer) };
        }

        read = await StoreTerminalAsync(jobId, key, response.ContentType, body, read);

        // After the terminal answer is stored (readers look there first) and before its notice goes out.
        await running.EndAsync(jobId);
        return read;
    }

    private async Task<JobRead> StoreTerminalAsync(string jobId, string key, string? contentType, byte[] body, JobRead read)
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

        var entry = CachedResponse.Create(contentType ?? "application/json", etag, body, now + lifetime);
        read = read with { GzipBody = entry.GzipBody, GzipETag = entry.GzipETag };
        // Always kept in this process's memory tier; the flag says whether the shared store (Redis) took it too.
        var shared = await cache.SetAsync(key, entry, CancellationToken.None);
        logger.Stored(jobId, lifetime);
        return read with { Outcome = CacheOutcome.MissStored, CacheAvailable = shared };
    }
}
