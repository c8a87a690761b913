namespace Gateway.Caching;

/// <summary>
/// How long a terminal body may be served from cache: the shortest of the configured ceiling, what is left of
/// Reducto's retention after <c>created_at</c>, and the earliest presigned-URL expiry less a margin (a cached body
/// must never hand out a dead <c>pdf_url</c> or <c>result.url</c>). Zero or less means "do not store".
/// </summary>
internal static class CacheLifetime
{
    public static TimeSpan Compute(JobBodyFacts facts, DateTimeOffset now, CacheOptions options)
    {
        var lifetime = options.MaxTtl;
        if (facts.CreatedAt is { } created)
        {
            lifetime = Min(lifetime, created + options.JobRetention - now);
        }

        if (facts.EarliestUrlExpiry is { } expiry)
        {
            lifetime = Min(lifetime, expiry - options.UrlExpiryMargin - now);
        }

        if (facts.HasUnparsedSignedUrl)
        {
            lifetime = Min(lifetime, options.UnparsedUrlTtl);
        }

        return lifetime;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
