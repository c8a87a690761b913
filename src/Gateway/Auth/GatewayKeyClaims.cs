namespace Gateway.Auth;

/// <summary>What a gateway key's principal carries, for authorization policies and telemetry.</summary>
internal static class GatewayKeyClaims
{
    /// <summary>The authentication type of every principal a gateway key opens.</summary>
    public const string AuthenticationType = "GatewayKey";

    public const string Team = "gateway.team";

    public const string KeyId = "gateway.key_id";

    public const string AdminRole = "gateway-admin";
}
