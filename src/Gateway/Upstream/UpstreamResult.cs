namespace Gateway.Upstream;

internal enum UpstreamFailure
{
    None,
    Unreachable,
    TimedOut,
    TooLarge,
    CircuitOpen,
    BudgetExhausted,

    /// <summary>The team's daily quota of upstream calls is used up (<c>Teams:&lt;team&gt;:UpstreamCallsPerDay</c>).</summary>
    QuotaExceeded,
}

/// <summary>
/// What one upstream call produced: either a whole response (any status code) or the reason there is none.
/// The body is owned by this object and shared read-only by every caller of a coalesced flight.
/// </summary>
internal sealed record UpstreamResult(
    UpstreamFailure Failure,
    int StatusCode = 0,
    string? ContentType = null,
    byte[]? Body = null,
    TimeSpan? RetryAfterHint = null)
{
    public static UpstreamResult Failed(UpstreamFailure failure) => new(failure);

    public byte[] BodyOrEmpty => Body ?? [];
}
