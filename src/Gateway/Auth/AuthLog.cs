namespace Gateway.Auth;

internal static partial class AuthLog
{
    public const int KeysReloadedId = 3001;
    public const int KeysReloadFailedId = 3002;
    public const int KeyExpiresSoonId = 3003;
    public const int KeyExpiredId = 3004;

    [LoggerMessage(KeysReloadedId, LogLevel.Information, "Gateway keys reloaded: {Keys} keys for {Teams} teams", EventName = "KeysReloaded")]
    public static partial void KeysReloaded(this ILogger logger, int keys, int teams);

    // The failures name settings and rules, never a key's value.
    [LoggerMessage(KeysReloadFailedId, LogLevel.Error, "Gateway keys not reloaded, the last good set stays in force: {Failures}", EventName = "KeysReloadFailed")]
    public static partial void KeysReloadFailed(this ILogger logger, string failures);

    [LoggerMessage(KeyExpiresSoonId, LogLevel.Warning, "Key {KeyId} of team {Team} expires at {NotAfter}; rotate it before then", EventName = "KeyExpiresSoon")]
    public static partial void KeyExpiresSoon(this ILogger logger, string team, string keyId, DateTimeOffset notAfter);

    [LoggerMessage(KeyExpiredId, LogLevel.Warning, "Key {KeyId} of team {Team} expired at {NotAfter} and is refused", EventName = "KeyExpired")]
    public static partial void KeyExpired(this ILogger logger, string team, string keyId, DateTimeOffset notAfter);
}
