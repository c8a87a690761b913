using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// What counts as Redis being away: the client's own errors, its timeouts, and a connection disposed under a stopping
/// host. <see cref="SharedRedis"/> applies it to every command the gateway sends; anything else is a bug and is not
/// swallowed.
/// </summary>
internal static class RedisOutage
{
    public static bool Is(Exception exception) => exception is RedisException or TimeoutException or ObjectDisposedException;
}
