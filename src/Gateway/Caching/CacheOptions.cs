using System.ComponentModel.DataAnnotations;

namespace Gateway.Caching;

/// <summary>How long terminal jobs are kept, and where.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    /// <summary>The longest any job is kept, whatever its body says.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long Reducto keeps a job after <c>created_at</c>; a cached copy never outlives it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Taken off the earliest presigned-URL expiry, so a caller has time to fetch the URL it is handed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan UrlExpiryMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Lifetime of a body holding a signed URL whose expiry cannot be read.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan UnparsedUrlTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Memory budget of the in-process tier (in front of Redis, or the only tier without it). Past it, entries are
    /// compacted away (expired first, then least recently used); a body larger than the budget is simply not kept.
    /// </summary>
    [Range(1L << 20, 1L << 40)]
    public long InProcessSizeLimitBytes { get; set; } = 256L << 20;

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
