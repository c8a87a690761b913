namespace Gateway.Creations;

/// <summary>The creations' log: routes, teams and reasons; never a body, an answer or an <c>Idempotency-Key</c>.</summary>
internal static partial class CreationsLog
{
    public const int ReplayedId = 10001;
    public const int KeyReusedId = 10002;
    public const int StillInFlightId = 10003;
    public const int OutlivedCallerId = 10004;
    public const int NotKeptId = 10005;
    public const int ReusedId = 10006;

    [LoggerMessage(ReplayedId, LogLevel.Information, "Answered a {Route} creation by team {Team} with an earlier attempt's answer ({Reason}); nothing was sent upstream", EventName = "CreationReplayed")]
    public static partial void Replayed(this ILogger logger, string route, string team, string reason);

    [LoggerMessage(KeyReusedId, LogLevel.Information, "Refused a {Route} creation by team {Team}: its Idempotency-Key was first used for another request", EventName = "IdempotencyKeyReused")]
    public static partial void KeyReused(this ILogger logger, string route, string team);

    [LoggerMessage(StillInFlightId, LogLevel.Information, "Answered 409 to a {Route} creation by team {Team}: the attempt it repeats is still in flight after the join wait", EventName = "CreationStillInFlight")]
    public static partial void StillInFlight(this ILogger logger, string route, string team);

    [LoggerMessage(OutlivedCallerId, LogLevel.Information, "The caller of a {Route} creation by team {Team} hung up; the creation was completed ({StatusCode}) and kept for its retry", EventName = "CreationOutlivedCaller")]
    public static partial void OutlivedCaller(this ILogger logger, string route, string team, int statusCode);

    [LoggerMessage(NotKeptId, LogLevel.Debug, "A {Route} creation's answer ({StatusCode}) was not kept for replay: {Reason}", EventName = "CreationNotKept")]
    public static partial void NotKept(this ILogger logger, string route, int statusCode, string reason);

    [LoggerMessage(ReusedId, LogLevel.Information, "Answered a {Route} creation by team {Team} with its earlier Completed job {JobId}; nothing was sent upstream", EventName = "CreationReused")]
    public static partial void Reused(this ILogger logger, string route, string team, string jobId);
}
