using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

/// <summary>
/// Serves a job read: a fresh cached copy if there is one, otherwise one upstream call per job id at a time
/// (concurrent readers share it), storing the answer only when it is a 200 whose JSON status is terminal.
/// </summary>
internal sealed class JobReader(
    ResponseCache cache,
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
    private readonly RequestCoalescer<JobRead> _flights = new();

    /// <summary>Readers waiting for an upstream answer right now.</summary>
    public int Waiting => _flights.Waiting;

    /// <param name="team">Who asks; an upstream call made for this read is charged to that team's share of the budget.</param>
    public async ValueTask<JobRead> ReadAsync(string jobId, string team, CancellationToken cancellationToken)
    {
        var key = keys.ForJob(jobId);
        var lookup = await cache.GetAsync(key, cancellationToken);
        return lookup.Entry is { } hit ? JobRead.FromCache(hit) : await ReadThroughAsync(jobId, key, team, cancellationToken);
    }

    // Apart from the hit path so that a hit does not allocate the closure the flight needs.
    private async Task<JobRead> ReadThroughAsync(string jobId, string key, string team, CancellationToken cancellationToken)
    {
        // A team known to be out of quota neither starts nor joins a flight: its refusal must not become the answer
        // of another team's callers collapsed onto the same read.
        if (quotas.View(team) is { Remaining: 0 })
        {
            return new JobRead(UpstreamFailure.QuotaExceeded, 0, null, default, null, CacheOutcome.Miss, cache.IsAvailable);
        }

        var (read, collapsed) = await _flights.RunAsync(key, () => FetchAsync(jobId, key, team), cancellationToken);
        return collapsed ? read with { Collapsed = true, Outcome = read.Outcome == CacheOutcome.Hit ? CacheOutcome.Hit : CacheOutcome.Miss } : read;
    }

    /// <summary>
    /// One poll on behalf of long-polling callers. Watchers on every replica share one poll lease per job that lapses
    /// after <paramref name="interval"/>, so the whole cluster polls a watched job at most once per interval.
    /// </summary>
    /// <returns>The answer, or null when another replica polled within the interval (its notice tells the rest).</returns>
    public async Task<JobRead?> PollAsync(string jobId, string team, TimeSpan interval) =>
        await leases.TryTakeAsync(JobLeases.Poll, jobId, PollLease(interval)) == LeaseOutcome.Held
            ? null
            : await ReadAsync(jobId, team, CancellationToken.None);

    // A lease exactly one interval long outlives it by a hair whenever a timer fires early against Redis's clock: the
    // holder then finds its own lease, every replica skips the round, and the job goes unpolled for two intervals.
    // Measured in the long-poll benchmark as 4 s gaps at a 2 s interval.
    private static TimeSpan PollLease(TimeSpan interval) =>
        interval - TimeSpan.FromTicks(Math.Min(interval.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks));

    private async Task<JobRead> FetchAsync(string jobId, string key, string team)
    {
        // A flight that ended between this caller's miss and its own start may have stored the job already. Every
        // store lands in this process's memory tier, so that is the only place to look: no second Redis round trip.
        if (cache.GetLocal(key) is { } stored)
        {
            return JobRead.FromCache(stored);
        }

        return await cluster.RunAsync(jobId, key, () => FetchFromUpstreamAsync(jobId, team));
    }

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
        var read = new JobRead(UpstreamFailure.None, response.StatusCode, response.ContentType, body, null, CacheOutcome.Miss, cacheAvailable,
            RetryAfterHint: response.RetryAfterHint);
        if (response.StatusCode != StatusCodes.Status200OK || !JobStatus.IsTerminal(JobStatus.Read(body)))
        {
            return read;
        }

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

        var entry = CachedResponse.Create(response.ContentType ?? "application/json", etag, body, now + lifetime);
        read = read with { GzipBody = entry.GzipBody, GzipETag = entry.GzipETag };
        // Always kept in this process's memory tier; the flag says whether the shared store (Redis) took it too.
        var shared = await cache.SetAsync(key, entry, CancellationToken.None);
        logger.Stored(jobId, lifetime);
        return read with { Outcome = CacheOutcome.MissStored, CacheAvailable = shared };
    }
}
