using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Ownership;
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

    /// <summary>A running job's last answer, past its window, served because no budget slot was free; a refresh follows it.</summary>
    Stale,
}

/// <summary>
/// The answer to one <c>GET /job/{job_id}</c>: the upstream's status, content type and exact bytes (from cache or
/// upstream), or the failure that left the gateway without them. Built by the factories below, one per source.
/// </summary>
internal sealed record JobRead(
    UpstreamFailure Failure,
    int StatusCode,
    string? ContentType,
    ReadOnlyMemory<byte> Body,
    bool Terminal,
    CacheOutcome Outcome,
    bool CacheAvailable,
    string? ETag = null,
    bool Collapsed = false,
    TimeSpan? RetryAfterHint = null,
    ReadOnlyMemory<byte> GzipBody = default,
    string? GzipETag = null,
    DateTimeOffset? AnsweredAt = null,
    DateTimeOffset? SharedUntil = null,
    OwnedBy? Owner = null)
{
    /// <summary>
    /// Whether this answer ends a long poll: anything but a 200 whose job is still running (a terminal job, an
    /// error status such as 404 for a deleted job). Gateway failures are not an answer: the watch keeps trying.
    /// </summary>
    public bool EndsWait => Failure == UpstreamFailure.None && (Terminal || StatusCode != StatusCodes.Status200OK);

    /// <summary>A terminal job from the memory tier or Redis.</summary>
    public static JobRead Hit(CachedResponse entry) =>
        new(UpstreamFailure.None, StatusCodes.Status200OK, entry.ContentType, entry.Body, Terminal: true, CacheOutcome.Hit, CacheAvailable: true,
            entry.ETag, GzipBody: entry.GzipBody, GzipETag: entry.GzipETag);

    /// <summary>
    /// What an unknown job answers, given also for a job the caller may not read: the same status, content type and
    /// body as Reducto's 404, and the same headers as a forwarded one, so the two cannot be told apart.
    /// </summary>
    public static JobRead Unknown((string ContentType, ReadOnlyMemory<byte> Body) answer, bool cacheAvailable) =>
        new(UpstreamFailure.None, StatusCodes.Status404NotFound, answer.ContentType, answer.Body, Terminal: false, CacheOutcome.Miss, cacheAvailable);

    /// <summary>No answer: the upstream could not be asked (budget, quota) or did not answer.</summary>
    public static JobRead Failed(UpstreamFailure failure, bool cacheAvailable, bool collapsed = false) =>
        new(failure, 0, null, default, Terminal: false, CacheOutcome.Miss, cacheAvailable, Collapsed: collapsed);

    /// <summary>What the upstream answered, before anything is stored or shared.</summary>
    public static JobRead FromUpstream(UpstreamResult response, bool cacheAvailable)
    {
        var body = response.BodyOrEmpty;
        var terminal = response.StatusCode == StatusCodes.Status200OK && JobStatus.IsTerminal(JobStatus.Read(body));
        return new(UpstreamFailure.None, response.StatusCode, response.ContentType, body, terminal, CacheOutcome.Miss, cacheAvailable,
            RetryAfterHint: response.RetryAfterHint);
    }

    /// <summary>
    /// A running job's answer within its shared window: as a <see cref="CacheOutcome.Shared"/> read for callers that
    /// did not fetch it, or as the fetcher's own <see cref="CacheOutcome.Miss"/>, which still tells callers when a
    /// newer answer can exist.
    /// </summary>
    public static JobRead FromRunning(RunningAnswer answer, DateTimeOffset sharedUntil, CacheOutcome outcome, bool cacheAvailable = true, bool collapsed = false) =>
        new(UpstreamFailure.None, StatusCodes.Status200OK, answer.ContentType, answer.Body, Terminal: false, outcome, cacheAvailable, Collapsed: collapsed,
            AnsweredAt: answer.AnsweredAt, SharedUntil: sharedUntil, Owner: answer.Owner);

    /// <summary>
    /// The read another replica's <see cref="JobNoticeKind.Response"/> or <see cref="JobNoticeKind.Failed"/> notice
    /// carries. A terminal body that was not stored (its presigned URLs expire too soon) is still the final answer.
    /// </summary>
    public static JobRead FromNotice(JobNotice notice)
    {
        if (notice.Kind == JobNoticeKind.Failed)
        {
            return Failed(notice.Failure, cacheAvailable: true, collapsed: true);
        }

        var terminal = notice.IsTerminalAnswer;
        return new(UpstreamFailure.None, notice.StatusCode, notice.ContentType, notice.Body, terminal, CacheOutcome.Miss, CacheAvailable: true,
            terminal ? CachedResponse.ComputeETag(notice.Body.Span) : null, Collapsed: true, RetryAfterHint: notice.RetryAfterHint);
    }

    /// <summary>The notice that tells other replicas what this process fetched.</summary>
    public JobNotice ToNotice(string jobId) =>
        Failure != UpstreamFailure.None ? new(JobNoticeKind.Failed, jobId, Failure)
        : Outcome == CacheOutcome.MissStored && CacheAvailable ? new(JobNoticeKind.Stored, jobId, StatusCode: StatusCode)
        : new(JobNoticeKind.Response, jobId, StatusCode: StatusCode, ContentType: ContentType, Body: Body, RetryAfterHint: RetryAfterHint,
            AnsweredAt: AnsweredAt, Owner: Owner);
}
