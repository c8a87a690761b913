using System.ComponentModel.DataAnnotations;

namespace Gateway.Caching;

/// <summary>How long terminal jobs are kept, and how much of them this process holds. Redis has its own settings (<c>Gateway.Redis.RedisOptions</c>) in the same section.</summary>
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
}
