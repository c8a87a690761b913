namespace Gateway.Operations;

/// <summary>What <c>GET /admin/overview</c> answers: the last hour minute by minute, and the gateway's state now.</summary>
/// <param name="Scope"><c>deployment</c> when the figures are every replica's (from Redis), <c>replica</c> when only this one's.</param>
/// <param name="From">The start of the first minute; point <c>i</c> of every series is the minute starting <c>i</c> minutes later.</param>
/// <param name="SampledAt">When the figures were last read; the page refreshes every <c>RefreshSeconds</c>.</param>
/// <param name="Credits">Each team's credits this month (UTC) and budget used, as this replica last read them (at most <c>Credits:FlushInterval</c> old).</param>
internal sealed record OperationsOverview(
    string Scope,
    DateTimeOffset From,
    int StepSeconds,
    DateTimeOffset SampledAt,
    int RefreshSeconds,
    OperationsStatus Status,
    UpstreamBudgetView Budget,
    TeamSeries Total,
    IReadOnlyList<TeamSeries> Teams,
    LatencySeries Latency,
    IReadOnlyList<Credits.TeamMonthCredits> Credits);

/// <summary>One team's minutes (or every team's, for the total). Arrays hold one point per minute.</summary>
/// <param name="HitRatio">Share of answered requests that cost no upstream call (cache hits and shared running answers); null in a minute without requests.</param>
internal sealed record TeamSeries(
    string Team,
    long[] Requests,
    long[] CacheHits,
    long[] SharedAnswers,
    long[] UpstreamCalls,
    double?[] HitRatio,
    ThrottledSeries Throttled,
    CreationSeries Creations);

/// <summary>Creating calls per minute: sent to Reducto, replayed (of which SDK retries recognised), and job creations answered by reuse.</summary>
internal sealed record CreationSeries(long[] Forwarded, long[] Replayed, long[] RetriesRecognised, long[] Reused);

/// <summary>429 answers per minute by the limit that tripped.</summary>
internal sealed record ThrottledSeries(long[] UpstreamBudget, long[] TeamLimit, long[] Quota, long[] Reducto);

/// <summary>Upstream calls per second in each minute against the deployment's configured rates.</summary>
/// <param name="UpstreamCallsPerSecond">Every team's calls; the current minute is averaged over its seconds so far.</param>
internal sealed record UpstreamBudgetView(int JobPollsPerSecond, int RequestsPerSecond, double[] UpstreamCallsPerSecond);

/// <summary>Percentiles of job reads per minute, in milliseconds, from the gateway's start of the request to its end; null in a minute without such reads.</summary>
/// <param name="HitP50Ms">Reads answered without Reducto: cache hits and shared running answers.</param>
/// <param name="MissP50Ms">Reads that went to Reducto or waited for another caller's read; 429s are not counted.</param>
internal sealed record LatencySeries(double?[] HitP50Ms, double?[] HitP99Ms, double?[] MissP50Ms, double?[] MissP99Ms);

/// <summary>The status strip.</summary>
/// <param name="Redis"><c>up</c>, <c>degraded</c> (configured, not answering: replicas serve on their own) or <c>none</c> (not configured).</param>
/// <param name="UpstreamCircuit"><c>closed</c>, <c>open</c>, <c>half-open</c> or <c>isolated</c>.</param>
/// <param name="CircuitResumesInSeconds">While the circuit is open, how long until a trial call goes through.</param>
/// <param name="ReplicasAlive">Replicas sharing this deployment's Redis and upstream budget (1 without Redis).</param>
/// <param name="JobsWatched">Jobs polled for <c>Prefer: wait</c> callers, on every replica with Redis.</param>
/// <param name="CallersWaiting">Callers held by <c>Prefer: wait</c>, on every replica with Redis.</param>
/// <param name="RefreshesQueued">Running jobs queued for a refresh behind a stale answer (or a watcher's poll), not yet started, on every replica with Redis.</param>
/// <param name="StaleAnswersLastMinute">Running jobs' answers served stale (past their window, a refresh behind them) in the last minute, on every replica with Redis.</param>
/// <param name="StaleAgeP50Seconds">The median age of those answers (since Reducto gave them), from their summed histogram; null when there were none.</param>
/// <param name="StaleAgeP99Seconds">Their 99th percentile age, likewise.</param>
/// <param name="KeysNearExpiry">Keys whose <c>NotAfter</c> is within <c>Auth:ExpiryWarning</c>, or past.</param>
internal sealed record OperationsStatus(
    string Redis,
    string UpstreamCircuit,
    double? CircuitResumesInSeconds,
    int ReplicasAlive,
    int JobsWatched,
    int CallersWaiting,
    int RefreshesQueued,
    long StaleAnswersLastMinute,
    double? StaleAgeP50Seconds,
    double? StaleAgeP99Seconds,
    IReadOnlyList<ExpiringKey> KeysNearExpiry);

/// <summary>A key by its public id: never the key or its hash.</summary>
internal sealed record ExpiringKey(string Team, string KeyId, DateTimeOffset NotAfter, bool Expired);
