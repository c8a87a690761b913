namespace Gateway.Jobs;

internal static partial class JobLog
{
    public const int WatchFailedId = 5001;

    [LoggerMessage(WatchFailedId, LogLevel.Error, "Watching job {JobId} failed; its waiters get the latest state when their wait ends", EventName = "WatchFailed")]
    public static partial void WatchFailed(this ILogger logger, string jobId, Exception exception);
}
