using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// The one Redis connection of this process, shared by the response store and the cluster coordination (leases and
/// job notices), so a replica holds a single multiplexer and Redis sees one client per replica, not one per feature.
/// It connects on first use; with <see cref="ConfigurationOptions.AbortOnConnectFail"/> off that succeeds even while
/// Redis is down and the multiplexer keeps reconnecting in the background.
/// </summary>
internal sealed class RedisConnection(ConfigurationOptions configuration) : IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _multiplexer = new(
        async () => await ConnectionMultiplexer.ConnectAsync(configuration),
        LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<IConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer.IsValueCreated)
        {
            await (await _multiplexer.Value).DisposeAsync();
        }
    }
}
