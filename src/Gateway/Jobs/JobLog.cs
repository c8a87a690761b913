namespace Gateway.Jobs;

internal static partial class JobLog
{
    public const int WatchFailedId = 5001;
    public const int RefreshFailedId = 5002;
    public const int LeaseLapsedId = 5003;

    [LoggerMessage(RefreshFailedId, LogLevel.Warning, "Refreshing running job {JobId} behind a stale answer failed; the next read tries again", EventName = "RefreshFailed")]
    public static partial void RefreshFailed(this ILogger logger, string jobId, Exception exception);

    [LoggerMessage(WatchFailedId, LogLevel.Error, "Watching job {JobId} failed; its waiters get the latest state when their wait ends", EventName = "WatchFailed")]
    public static partial void WatchFailed(this ILogger logger, string jobId, Exception exception);

    [LoggerMessage(LeaseLapsedId, LogLevel.Warning, "Job {JobId} finished; {Holders} replicas (this one among them, if it held one) had registered a lease on its running answer and not every other one said it gave it up, so its completion waited for the leases to lapse", EventName = "LeaseLapsed")]
    public static partial void LeaseLapsed(this ILogger logger, string jobId, int holders);
}
