namespace Gateway.Cluster;

internal static partial class ClusterLog
{
    public const int JoinedReplicasId = 4001;
    public const int ReplicasUnreachableId = 4002;

    [LoggerMessage(JoinedReplicasId, LogLevel.Information, "Listening for job notices from other replicas", EventName = "JoinedReplicas")]
    public static partial void JoinedReplicas(this ILogger logger);

    [LoggerMessage(ReplicasUnreachableId, LogLevel.Warning, "Cannot subscribe to job notices ({Error}); retrying in {RetryInterval}", EventName = "ReplicasUnreachable")]
    public static partial void ReplicasUnreachable(this ILogger logger, TimeSpan retryInterval, string error);
}
