using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// The one outage state for everything the gateway keeps in Redis. The first failure of any command opens it: from
/// then on every feature skips Redis at once (no per-request connect or command timeouts) and works from this process
/// alone, while one background probe pings Redis every <see cref="RedisOptions.RedisRetryInterval"/> and closes it
/// when Redis answers. The outage and the recovery are each logged once.
/// </summary>
internal sealed class RedisBreaker(
    RedisConnection connection, IOptions<RedisOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<RedisBreaker> logger)
{
    private int _open;

    public bool IsClosed => Volatile.Read(ref _open) == 0;

    public void Open(Exception exception)
    {
        // A connection closed under a stopping host is not an outage anyone needs to hear about.
        if (lifetime.ApplicationStopping.IsCancellationRequested || Interlocked.Exchange(ref _open, 1) != 0)
        {
            return;
        }

        logger.RedisUnavailable(options.Value.RedisRetryInterval, exception);
        _ = ProbeUntilAvailableAsync(lifetime.ApplicationStopping);
    }

    private async Task ProbeUntilAvailableAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.RedisRetryInterval, time, stopping);
                await (await connection.GetAsync()).GetDatabase().PingAsync(CommandFlags.DemandMaster);
                Volatile.Write(ref _open, 0);
                logger.RedisRecovered();
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (RedisOutage.Is(exception))
            {
                // Still away: the outage was logged once; try again after the next interval.
            }
        }
    }
}
