using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Caching;

internal static class CachingExtensions
{
    private const string RedisConnectionName = "Redis";

    /// <summary>
    /// Redis when <c>ConnectionStrings:Redis</c> is set, otherwise a bounded in-process cache: the gateway must run
    /// with nothing but the .NET SDK, and a team without Redis still saves every repeated read of a finished job.
    /// </summary>
    public static IServiceCollection AddJobCache(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<CacheOptions, CacheOptionsValidator>().BindConfiguration(CacheOptions.SectionName);

        var redis = configuration.GetConnectionString(RedisConnectionName);
        if (string.IsNullOrWhiteSpace(redis))
        {
            services.AddDistributedMemoryCache();
            services.AddOptions<MemoryDistributedCacheOptions>()
                .Configure<IOptions<CacheOptions>>(static (memory, cache) => memory.SizeLimit = cache.Value.InProcessSizeLimitBytes);
            services.AddSingleton(new CacheDescription("in-process (no ConnectionStrings:Redis configured)"));
        }
        else
        {
            services.AddStackExchangeRedisCache(static _ => { });
            services.AddOptions<RedisCacheOptions>()
                .Configure<IOptions<CacheOptions>>((target, cache) => ConfigureRedis(target, redis, cache.Value));
            services.AddSingleton(new CacheDescription("Redis at " + RedactedEndpoints(redis)));
        }

        services.AddSingleton<CacheKeys>();
        services.AddSingleton<ResponseCache>();
        return services;
    }

    private static void ConfigureRedis(RedisCacheOptions target, string connectionString, CacheOptions cache)
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
        target.ConfigurationOptions = configuration;
        target.InstanceName = cache.InstanceName;
    }

    private static string RedactedEndpoints(string connectionString) =>
        string.Join(",", ConfigurationOptions.Parse(connectionString).EndPoints.Select(static e => e.ToString()));
}

/// <summary>Which cache this process runs on, for the start-up report.</summary>
internal sealed record CacheDescription(string Text);
