using StackExchange.Redis;

namespace Gateway.Caching;

/// <summary>
/// What counts as Redis being away, for every direct use of the connection (leases, notices, census, running answers,
/// quotas, usage): the client's own errors, its timeouts, and a connection disposed under a stopping host. Each such
/// failure is reported to the cache's breaker, which then keeps every caller off Redis until its probe answers.
/// Anything else is a bug and is not swallowed.
/// </summary>
internal static class RedisOutage
{
    public static bool Is(Exception exception) => exception is RedisException or TimeoutException or ObjectDisposedException;
}
