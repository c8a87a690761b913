namespace Gateway.Cluster;

internal static partial class ClusterLog
{
    public const int JoinedReplicasId = 4001;
    public const int ReplicasUnreachableId = 4002;
    public const int BudgetSharedId = 4003;
    public const int CensusHeldId = 4004;

    [LoggerMessage(JoinedReplicasId, LogLevel.Information, "Listening for job notices from other replicas on {Channels}", EventName = "JoinedReplicas")]
    public static partial void JoinedReplicas(this ILogger logger, string channels);

    [LoggerMessage(ReplicasUnreachableId, LogLevel.Warning, "Cannot subscribe to job notices ({Error}); retrying in {RetryInterval}", EventName = "ReplicasUnreachable")]
    public static partial void ReplicasUnreachable(this ILogger logger, TimeSpan retryInterval, string error);

    [LoggerMessage(BudgetSharedId, LogLevel.Information, "{Replicas} replicas share the upstream budget: {JobPollsPerSecond} job polls/s and {RequestsPerSecond} requests/s each", EventName = "BudgetShared")]
    public static partial void BudgetShared(this ILogger logger, int replicas, int jobPollsPerSecond, int requestsPerSecond);

    [LoggerMessage(CensusHeldId, LogLevel.Information, "Back in touch with Redis after a gap; the budget stays split between {Replicas} replicas for {Window} while the others count themselves again", EventName = "CensusHeld")]
    public static partial void CensusHeld(this ILogger logger, int replicas, TimeSpan window);
}
