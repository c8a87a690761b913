using Gateway.Upstream;

namespace Gateway.Jobs;

/// <summary>How a read was served, for the RFC 9211 <c>Cache-Status</c> header.</summary>
internal enum CacheOutcome
{
    Hit,
    Miss,
    MissStored,
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
    string? GzipETag = null)
{
    public bool IsTerminal => ETag is not null;
}
