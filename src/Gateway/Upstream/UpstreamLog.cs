namespace Gateway.Upstream;

internal static partial class UpstreamLog
{
    public const int UnreachableId = 2001;
    public const int TimedOutId = 2002;
    public const int AuthRejectedId = 2003;
    public const int TooLargeId = 2004;
    public const int ThrottledId = 2005;
    public const int TargetId = 2006;
    public const int NoApiKeyId = 2007;

    [LoggerMessage(UnreachableId, LogLevel.Warning, "Upstream unreachable for job {JobId}", EventName = "UpstreamUnreachable")]
    public static partial void Unreachable(this ILogger logger, string jobId, Exception exception);

    [LoggerMessage(TimedOutId, LogLevel.Warning, "Upstream did not answer job {JobId} within {Timeout}", EventName = "UpstreamTimedOut")]
    public static partial void TimedOut(this ILogger logger, string jobId, TimeSpan timeout);

    // The key itself is never logged: the status code says enough to find the misconfiguration.
    [LoggerMessage(AuthRejectedId, LogLevel.Error, "Upstream rejected the server API key with {StatusCode}; check Upstream:ApiKey", EventName = "UpstreamAuthRejected")]
    public static partial void AuthRejected(this ILogger logger, int statusCode);

    [LoggerMessage(TooLargeId, LogLevel.Warning, "Upstream body for job {JobId} exceeds {MaxBytes} bytes", EventName = "UpstreamTooLarge")]
    public static partial void TooLarge(this ILogger logger, string jobId, long maxBytes);

    [LoggerMessage(ThrottledId, LogLevel.Warning, "Upstream throttled job {JobId}; callers told to retry after {RetryAfter}", EventName = "UpstreamThrottled")]
    public static partial void Throttled(this ILogger logger, string jobId, TimeSpan retryAfter);

    [LoggerMessage(TargetId, LogLevel.Information, "Upstream is {BaseUrl} (API key {KeyState})", EventName = "UpstreamTarget")]
    public static partial void Target(this ILogger logger, Uri baseUrl, string keyState);

    [LoggerMessage(NoApiKeyId, LogLevel.Warning, "No upstream API key is set: Reducto will reject every call. Set REDUCTO_API_KEY or Upstream:ApiKey", EventName = "NoApiKey")]
    public static partial void NoApiKey(this ILogger logger);
}
