namespace Gateway.Auth;

/// <summary>Who may call the gateway: one key per team, so every request is attributable and revocable.</summary>
public sealed class GatewayKeyOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// Team name to key. Prefer <c>sha256:&lt;64 hex digits&gt;</c> of the key, so a leaked configuration file leaks no
    /// usable key; a plain value is accepted and hashed at start-up.
    /// </summary>
    public Dictionary<string, string> ClientKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The operators' key for the admin endpoints (cache purge), plain or <c>sha256:&lt;hex&gt;</c>. Not a team key: it
    /// cannot read jobs or reach Reducto. Unset: the admin endpoints refuse everyone.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>Let requests without a key through. Must be set explicitly: with no keys the gateway refuses to start.</summary>
    public bool AllowAnonymous { get; set; }
}
