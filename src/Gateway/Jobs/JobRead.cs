using Gateway.Caching;
using Gateway.Upstream;

namespace Gateway.Jobs;

/// <summary>How a read was served, for the RFC 9211 <c>Cache-Status</c> header.</summary>
internal enum CacheOutcome
{
    Hit,
    Miss,
    MissStored,

    /// <summary>A running job's answer another read fetched, shared within its window.</summary>
    Shared,
}

/// <summary>
/// The answer to one <c>GET /job/{job_id}</c>: the upstream's status, content type and exact bytes (from cache or
/// upstream), or the failure that left the gateway without them.
/// </summary>
internal sealed record JobRead(
    UpstreamFailure Failure,
    int StatusCode,
    string? ContentType,
    ReadOnlyMemory<byte> Body,
    string? ETag,
    CacheOutcome Outcome,
    bool CacheAvailable,
    bool Collapsed = false,
    TimeSpan? RetryAfterHint = null,
    ReadOnlyMemory<byte> GzipBody = default,
    string? GzipETag = null,
    DateTimeOffset? AnsweredAt = null,
    DateTimeOffset? SharedUntil = null)
{
    public bool IsTerminal => ETag is not null;

    /// <summary>
    /// Whether this answer ends a long poll: anything but a 200 whose job is still running (a terminal job, an
    /// error status such as 404 for a deleted job). Gateway failures are not an answer: the watch keeps trying.
    /// </summary>
    public bool EndsWait => Failure == UpstreamFailure.None && (IsTerminal || StatusCode != StatusCodes.Status200OK);

    public static JobRead FromCache(CachedResponse entry) =>
        new(UpstreamFailure.None, StatusCodes.Status200OK, entry.ContentType, entry.Body, entry.ETag, CacheOutcome.Hit, true,
            GzipBody: entry.GzipBody, GzipETag: entry.GzipETag);

    /// <summary>
    /// A running job's answer within its shared window: as a <see cref="CacheOutcome.Shared"/> read for callers that
    /// did not fetch it, or as the fetcher's own <see cref="CacheOutcome.Miss"/>, which still tells callers when a
    /// newer answer can exist.
    /// </summary>
    public static JobRead FromRunning(RunningAnswer answer, DateTimeOffset sharedUntil, CacheOutcome outcome, bool cacheAvailable = true, bool collapsed = false) =>
        new(UpstreamFailure.None, StatusCodes.Status200OK, answer.ContentType, answer.Body, null, outcome, cacheAvailable, collapsed,
            AnsweredAt: answer.AnsweredAt, SharedUntil: sharedUntil);
}
