using Gateway.Hosting;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Redis;

internal static class RedisExtensions
{
    public const string ConnectionName = "Redis";

    /// <summary>
    /// The deployment's Redis when <c>ConnectionStrings:Redis</c> is set, otherwise none: the gateway must run with
    /// nothing but the .NET SDK, and every feature has an in-process fallback. The choice is made when it is first
    /// resolved, from the final configuration.
    /// </summary>
    public static IServiceCollection AddSharedRedis(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<RedisOptions, RedisOptionsValidator>()
            .BindSettings(RedisOptions.SectionName, SettingsBinding.Declares<RedisOptions>);
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisConnectionStringValidator>();
        services.AddSingleton<RedisKeys>();
        services.AddSingleton(static provider =>
        {
            if (ConnectionString(provider) is not { } redis)
            {
                return new SharedRedis(null, null, null);
            }

            var options = provider.GetRequiredService<IOptions<RedisOptions>>();
            var connection = new RedisConnection(Configuration(redis, options.Value));
            var breaker = new RedisBreaker(
                connection, options, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<IHostApplicationLifetime>(),
                provider.GetRequiredService<ILogger<RedisBreaker>>());
            var store = new RedisCache(Options.Create(new RedisCacheOptions
            {
                ConnectionMultiplexerFactory = connection.GetAsync,
                InstanceName = options.Value.InstanceName,
            }));
            return new SharedRedis(connection, breaker, store);
        });
        return services;
    }

    /// <summary>Where Redis is, for the start-up report and the health check; null without one.</summary>
    public static string? Describe(IServiceProvider provider) =>
        ConnectionString(provider) is { } redis
            ? string.Join(",", ConfigurationOptions.Parse(redis).EndPoints.Select(static e => e.ToString()))
            : null;

    private static string? ConnectionString(IServiceProvider provider) =>
        provider.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionName) is { } value && !string.IsNullOrWhiteSpace(value)
            ? value
            : null;

    private static ConfigurationOptions Configuration(string connectionString, RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        var timeout = (int)options.RedisTimeout.TotalMilliseconds;
        configuration.ConnectTimeout = timeout;
        configuration.SyncTimeout = timeout;
        configuration.AsyncTimeout = timeout;

        // Start even when Redis is down, and fail commands at once while disconnected instead of queueing them:
        // the gateway answers from the upstream meanwhile and reconnects in the background.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        // Reconnect on the same rhythm as the breaker's probe, rather than the client's default backoff that grows
        // to many seconds: when Redis is back, caching should be back within one retry interval.
        configuration.ReconnectRetryPolicy = new LinearRetry((int)Math.Max(options.RedisRetryInterval.TotalMilliseconds, 100));
        return configuration;
    }
}
