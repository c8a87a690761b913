namespace Gateway.Caching;

internal static partial class CachingLog
{
    // 1001 and 1002 are Redis's outage and recovery lines (RedisLog).
    public const int StoredId = 1003;
    public const int NotStoredId = 1004;
    public const int CacheKindId = 1005;

    [LoggerMessage(StoredId, LogLevel.Debug, "Stored job {JobId} for {Lifetime}", EventName = "Stored")]
    public static partial void Stored(this ILogger logger, string jobId, TimeSpan lifetime);

    [LoggerMessage(NotStoredId, LogLevel.Debug, "Terminal job {JobId} not stored: {Reason}", EventName = "NotStored")]
    public static partial void NotStored(this ILogger logger, string jobId, string reason);

    [LoggerMessage(CacheKindId, LogLevel.Information, "Cache is {CacheKind}", EventName = "CacheKind")]
    public static partial void CacheKind(this ILogger logger, string cacheKind);
}
