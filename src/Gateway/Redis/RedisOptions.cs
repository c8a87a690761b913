using System.ComponentModel.DataAnnotations;

namespace Gateway.Redis;

/// <summary>
/// How the gateway talks to Redis. The keys keep their place in the <c>Cache</c> section, beside the cache's own
/// settings, so operators' configuration is unchanged; where Redis is comes from <c>ConnectionStrings:Redis</c>.
/// </summary>
public sealed class RedisOptions
{
    public const string SectionName = "Cache";

    /// <summary>Connect and command timeout for Redis. Kept short: a slow cache must never stall a request.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After a Redis failure, requests skip Redis for this long before one of them tries it again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RedisRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Prefix of every Redis key, so the gateway can share a Redis with other applications.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9:_.-]{1,64}$")]
    public string InstanceName { get; set; } = "gateway:";
}
