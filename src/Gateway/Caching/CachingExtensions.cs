using Gateway.Hosting;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Caching;

internal static class CachingExtensions
{
    public const string RedisConnectionName = "Redis";

    /// <summary>
    /// Redis when <c>ConnectionStrings:Redis</c> is set, otherwise a bounded in-process cache: the gateway must run
    /// with nothing but the .NET SDK, and a team without Redis still saves every repeated read of a finished job.
    /// The choice is made when the store is first resolved, from the final configuration.
    /// </summary>
    public static IServiceCollection AddJobCache(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<CacheOptions, CacheOptionsValidator>().BindSettings(CacheOptions.SectionName);
        services.AddSingleton<IValidateOptions<CacheOptions>, RedisConnectionStringValidator>();
        services.AddSingleton(static provider =>
        {
            var cache = provider.GetRequiredService<IOptions<CacheOptions>>().Value;
            var redis = provider.GetRequiredService<IConfiguration>().GetConnectionString(RedisConnectionName);
            if (string.IsNullOrWhiteSpace(redis))
            {
                return new SharedStore(null, null);
            }

            var connection = new RedisConnection(RedisConfiguration(redis, cache));
            var store = new RedisCache(Options.Create(new RedisCacheOptions
            {
                ConnectionMultiplexerFactory = connection.GetAsync,
                InstanceName = cache.InstanceName,
            }));
            return new SharedStore(store, connection);
        });
        services.AddSingleton<MemoryTier>();
        services.AddSingleton(static provider =>
        {
            var redis = provider.GetRequiredService<IConfiguration>().GetConnectionString(RedisConnectionName);
            return new CacheDescription(string.IsNullOrWhiteSpace(redis)
                ? "in-process only (no ConnectionStrings:Redis configured)"
                : "in-process in front of Redis at " + string.Join(",", ConfigurationOptions.Parse(redis).EndPoints.Select(static e => e.ToString())));
        });
        services.AddSingleton<CacheKeys>();
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<RunningAnswers>();
        return services;
    }

    private static ConfigurationOptions RedisConfiguration(string connectionString, CacheOptions cache)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        var timeout = (int)cache.RedisTimeout.TotalMilliseconds;
        configuration.ConnectTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.AsyncTimeout = timeout;

        // Start even when Redis is down, and fail commands at once while disconnected instead of queueing them:
        // the gateway answers from the upstream meanwhile and reconnects in the background.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        // Reconnect on the same rhythm as the breaker's probe, rather than the client's default backoff that grows
        // to many seconds: when Redis is back, caching should be back within one retry interval.
        configuration.ReconnectRetryPolicy = new LinearRetry((int)Math.Max(cache.RedisRetryInterval.TotalMilliseconds, 100));
        return configuration;
    }
}

/// <summary>
/// The cache shared by all replicas (Redis) and the connection behind it, or neither: then the memory tier is the only
/// tier and every replica coordinates only within itself. Owns the connection, so the container closes it on shutdown.
/// </summary>
internal sealed record SharedStore(IDistributedCache? Store, RedisConnection? Redis) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Redis?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>Which cache this process runs on, for the start-up report.</summary>
internal sealed record CacheDescription(string Text);
