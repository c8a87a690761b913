namespace Gateway.Operations;

internal static partial class OperationsLog
{
    public const int SampleFailedId = 8001;

    [LoggerMessage(SampleFailedId, LogLevel.Warning,
        "The operations view could not read the latest figures; it keeps the previous ones until the next sample",
        EventName = "OperationsSampleFailed")]
    public static partial void SampleFailed(this ILogger logger, Exception exception);
}
