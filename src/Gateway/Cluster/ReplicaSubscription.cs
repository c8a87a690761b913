using Gateway.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Joins this replica to its deployment's notice channel at start-up, retrying while Redis is down. Once subscribed,
/// StackExchange.Redis re-subscribes by itself after every reconnect.
/// </summary>
internal sealed class ReplicaSubscription(SharedRedis redis, JobNotices notices, ILogger<ReplicaSubscription> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redis.IsConfigured)
        {
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await notices.SubscribeToReplicasAsync();
                logger.JoinedReplicas();
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Once, not every retry: the cache breaker already reports the outage.
                if (failures++ == 0)
                {
                    logger.ReplicasUnreachable(notices.RetryInterval, exception.GetType().Name);
                }

                await Task.Delay(notices.RetryInterval, stoppingToken);
            }
        }
    }
}
