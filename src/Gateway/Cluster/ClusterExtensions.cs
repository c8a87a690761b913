namespace Gateway.Cluster;

internal static class ClusterExtensions
{
    /// <summary>
    /// Coordination between replicas that share a Redis (leases, notices). Without Redis the same services work within
    /// the process alone, so the rest of the gateway never asks which mode it runs in.
    /// </summary>
    public static IServiceCollection AddReplicaCoordination(this IServiceCollection services)
    {
        services.AddSingleton<JobNotices>();
        services.AddSingleton<JobLeases>();
        services.AddSingleton(static provider =>
        {
            var redis = provider.GetRequiredService<Redis.SharedRedis>();
            return new ReplicaRing(() => redis.IsReachable);
        });
        services.AddSingleton<JobEviction>();
        services.AddHostedService<ReplicaSubscription>();
        services.AddHostedService<ReplicaCensus>();
        return services;
    }
}
