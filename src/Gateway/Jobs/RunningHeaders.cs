namespace Gateway.Jobs;

/// <summary>
/// The values of a shared running answer's timing headers, as of the moment it is written: the one computation the
/// pipeline (<see cref="JobResponseResult"/>, <see cref="CacheStatusHeader"/>) and the direct path both use.
/// </summary>
internal static class RunningHeaders
{
    /// <summary>
    /// <c>Cache-Status</c>'s ttl: milliseconds left in the window, not RFC 9211's seconds, since a window is about a
    /// second long and whole seconds would say 0 or 1.
    /// </summary>
    public static long TtlMilliseconds(DateTimeOffset sharedUntil, DateTimeOffset now) => Math.Max(0, (long)(sharedUntil - now).TotalMilliseconds);

    /// <summary>A stale answer's <c>Cache-Status</c> ttl: minus the milliseconds since its window ended (RFC 9211).</summary>
    public static long StaleTtlMilliseconds(DateTimeOffset sharedUntil, DateTimeOffset now) => -Math.Max(0, (long)(now - sharedUntil).TotalMilliseconds);

    /// <summary><c>Retry-After</c>: whole seconds until a newer answer can exist, at least 1.</summary>
    public static long RetryAfterSeconds(DateTimeOffset sharedUntil, DateTimeOffset now) => Math.Max(1, (long)Math.Ceiling((sharedUntil - now).TotalSeconds));

    /// <summary><c>Age</c> (RFC 9111): whole seconds since the upstream gave the answer.</summary>
    public static long AgeSeconds(DateTimeOffset answeredAt, DateTimeOffset now) => Math.Max(0, (long)(now - answeredAt).TotalSeconds);
}
