namespace Gateway.Caching;

internal static partial class CachingLog
{
    public const int CacheUnavailableId = 1001;
    public const int CacheRecoveredId = 1002;
    public const int StoredId = 1003;
    public const int NotStoredId = 1004;
    public const int CacheKindId = 1005;

    // Logged once per outage, not per request: during an outage every request would otherwise add a line.
    [LoggerMessage(CacheUnavailableId, LogLevel.Warning, "Cache unavailable; serving from the upstream and retrying the cache in {RetryInterval}", EventName = "CacheUnavailable")]
    public static partial void CacheUnavailable(this ILogger logger, TimeSpan retryInterval, Exception exception);

    [LoggerMessage(CacheRecoveredId, LogLevel.Information, "Cache available again", EventName = "CacheRecovered")]
    public static partial void CacheRecovered(this ILogger logger);

    [LoggerMessage(StoredId, LogLevel.Debug, "Stored job {JobId} for {Lifetime}", EventName = "Stored")]
    public static partial void Stored(this ILogger logger, string jobId, TimeSpan lifetime);

    [LoggerMessage(NotStoredId, LogLevel.Debug, "Terminal job {JobId} not stored: {Reason}", EventName = "NotStored")]
    public static partial void NotStored(this ILogger logger, string jobId, string reason);

    [LoggerMessage(CacheKindId, LogLevel.Information, "Cache is {CacheKind}", EventName = "CacheKind")]
    public static partial void CacheKind(this ILogger logger, string cacheKind);
}
