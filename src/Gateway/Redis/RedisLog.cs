namespace Gateway.Redis;

internal static partial class RedisLog
{
    // The ids and event names are those these lines had when the response cache owned the breaker: alerts keyed on
    // them keep working.
    public const int UnavailableId = 1001;
    public const int RecoveredId = 1002;

    // Logged once per outage, not per request: during an outage every request would otherwise add a line.
    [LoggerMessage(UnavailableId, LogLevel.Warning, "Cache unavailable; serving from the upstream and retrying the cache in {RetryInterval}", EventName = "CacheUnavailable")]
    public static partial void RedisUnavailable(this ILogger logger, TimeSpan retryInterval, Exception exception);

    [LoggerMessage(RecoveredId, LogLevel.Information, "Cache available again", EventName = "CacheRecovered")]
    public static partial void RedisRecovered(this ILogger logger);
}
