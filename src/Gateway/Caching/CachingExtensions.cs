using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.Redis;

namespace Gateway.Caching;

internal static class CachingExtensions
{
    /// <summary>
    /// Terminal responses in the in-process memory tier, in front of Redis when one is configured: a team without
    /// Redis still saves every repeated read of a finished job. Needs <see cref="RedisExtensions.AddSharedRedis"/>.
    /// </summary>
    public static IServiceCollection AddJobCache(this IServiceCollection services)
    {
        // The Redis settings share the Cache section; they are Redis's to bind and check.
        services.AddOptionsWithValidateOnStart<CacheOptions, CacheOptionsValidator>()
            .BindSettings(CacheOptions.SectionName, static key => !SettingsBinding.Declares<RedisOptions>(key));
        services.AddSingleton<MemoryTier>();
        services.AddSingleton(static provider => new CacheDescription(RedisExtensions.Describe(provider) is { } endpoints
            ? "in-process in front of Redis at " + endpoints
            : "in-process only (no ConnectionStrings:Redis configured)"));
        services.AddSingleton<ResponseCache>();
        return services;
    }
}

/// <summary>Which cache this process runs on, for the start-up report.</summary>
internal sealed record CacheDescription(string Text);
