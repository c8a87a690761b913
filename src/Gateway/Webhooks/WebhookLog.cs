namespace Gateway.Webhooks;

internal static partial class WebhookLog
{
    public const int RejectedId = 6001;
    public const int CompletionReadId = 6002;
    public const int CompletionNotVisibleId = 6003;
    public const int CompletionFailedId = 6004;

    // Neither the presented secret nor the signature is logged: the reason is enough to find a misconfiguration.
    [LoggerMessage(RejectedId, LogLevel.Warning, "Webhook delivery rejected: {Reason}", EventName = "WebhookRejected")]
    public static partial void Rejected(this ILogger logger, string reason);

    [LoggerMessage(CompletionReadId, LogLevel.Debug, "Job {JobId} read after its completion notice: {StatusCode}", EventName = "CompletionRead")]
    public static partial void CompletionRead(this ILogger logger, string jobId, int statusCode);

    [LoggerMessage(CompletionNotVisibleId, LogLevel.Warning, "Job {JobId} was reported finished but still read as running after {Attempts} reads; watchers keep polling", EventName = "CompletionNotVisible")]
    public static partial void CompletionNotVisible(this ILogger logger, string jobId, int attempts);

    [LoggerMessage(CompletionFailedId, LogLevel.Error, "Reading job {JobId} after its completion notice failed", EventName = "CompletionFailed")]
    public static partial void CompletionFailed(this ILogger logger, string jobId, Exception exception);
}
