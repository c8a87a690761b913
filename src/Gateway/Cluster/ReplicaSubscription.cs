using Gateway.Caching;

namespace Gateway.Cluster;

/// <summary>
/// Joins this replica to its deployment's notice channel at start-up, retrying while Redis is down. Once subscribed,
/// StackExchange.Redis re-subscribes by itself after every reconnect.
/// </summary>
internal sealed class ReplicaSubscription(SharedStore shared, JobNotices notices, ILogger<ReplicaSubscription> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (shared.Redis is null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await notices.SubscribeToReplicasAsync(await shared.Redis.GetAsync());
                logger.JoinedReplicas();
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.ReplicasUnreachable(notices.RetryInterval, exception.GetType().Name);
                await Task.Delay(notices.RetryInterval, stoppingToken);
            }
        }
    }
}
