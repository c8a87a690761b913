namespace Reducto.StandIn;

internal static partial class StandInLog
{
    public const int WebhookDeliveredId = 9001;
    public const int WebhookFailedId = 9002;

    [LoggerMessage(WebhookDeliveredId, LogLevel.Information, "Webhook for job {JobId} delivered: {StatusCode}", EventName = "WebhookDelivered")]
    public static partial void WebhookDelivered(this ILogger logger, string jobId, int statusCode);

    [LoggerMessage(WebhookFailedId, LogLevel.Warning, "Webhook for job {JobId} could not be delivered", EventName = "WebhookFailed")]
    public static partial void WebhookFailed(this ILogger logger, string jobId, Exception exception);
}
