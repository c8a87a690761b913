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

    /// <summary>
    /// A directory of key files, one setting per file as a Kubernetes Secret mounts them: the file's name is the
    /// setting with <c>__</c> for <c>:</c> (<c>Teams__team-a__Keys__2026-12__Key</c>), its content the value. Watched,
    /// like appsettings.json: adding, changing or deleting a file takes effect within seconds, without a restart.
    /// </summary>
    public string? KeysDirectory { get; set; }

    /// <summary>How long before a key's <c>NotAfter</c> the gateway starts warning in its log.</summary>
    public TimeSpan ExpiryWarning { get; set; } = TimeSpan.FromDays(7);
}
