namespace Gateway.Ownership;

internal static partial class OwnershipLog
{
    public const int RecordsRestoredId = 9001;
    public const int OwnerNotFoundId = 9002;
    public const int RefusedId = 9003;

    [LoggerMessage(RecordsRestoredId, LogLevel.Warning, "Redis no longer held this replica's ownership records (restarted without persistence?); wrote {Records} back", EventName = "OwnershipRecordsRestored")]
    public static partial void RecordsRestored(this ILogger logger, int records);

    [LoggerMessage(OwnerNotFoundId, LogLevel.Warning, "A {Route} answer ({StatusCode}) named no {Property}; what it created has no owner", EventName = "OwnerNotFound")]
    public static partial void OwnerNotFound(this ILogger logger, string route, int statusCode, string property);

    [LoggerMessage(RefusedId, LogLevel.Information, "Refused {Method} {Route}: {Field} names a {Kind} this team does not own", EventName = "OwnershipRefused")]
    public static partial void Refused(this ILogger logger, string method, string route, string field, OwnedKind kind);
}
