using System.Collections.Frozen;
using System.Security.Claims;
using Gateway.Teams;

namespace Gateway.Auth;

/// <summary>One configured key: whose it is, its public id, its hash, and whether it may still be used.</summary>
internal sealed record KeyEntry(string Team, string KeyId, byte[] Hash, DateTimeOffset? NotAfter, bool Disabled, TeamPrincipal Principal);

/// <summary>
/// Every key the gateway accepts, built from the settings in one go and never changed: a reload builds a new table
/// and swaps it in whole, so a request sees either the old keys or the new ones, never a mixture.
/// </summary>
internal sealed class KeyTable
{
    /// <summary>The key id of a team's single key in <c>Auth:ClientKeys:&lt;team&gt;</c>.</summary>
    public const string ClientKeyId = "client-key";

    private KeyTable(KeyEntry[] keys, byte[]? admin, long generation)
    {
        Keys = keys;
        Admin = admin;
        Generation = generation;
    }

    public IReadOnlyList<KeyEntry> Keys { get; }

    public byte[]? Admin { get; }

    /// <summary>Grows with every table built, so anything remembered against an older table is looked up again.</summary>
    public long Generation { get; }

    public static KeyTable Build(GatewayKeyOptions auth, TeamOptions teams, long generation)
    {
        var keys = new List<KeyEntry>();
        foreach (var (team, key) in auth.ClientKeys)
        {
            keys.Add(Entry(team, ClientKeyId, new TeamKey { Key = key }, teams.Teams.GetValueOrDefault(team)));
        }

        foreach (var (team, settings) in teams.Teams)
        {
            keys.AddRange(settings.Keys.Select(pair => Entry(team, pair.Key, pair.Value, settings)));
        }

        var admin = string.IsNullOrWhiteSpace(auth.AdminKey) ? null : KeyFormat.HashOf(auth.AdminKey);
        return new KeyTable([.. keys], admin, generation);
    }

    private static KeyEntry Entry(string team, string keyId, TeamKey key, TeamSettings? settings) =>
        new(team, keyId, KeyFormat.HashOf(key.Key!), key.NotAfter, key.Disabled, new TeamPrincipal(team, keyId, Scopes.Parse(settings?.Scopes), settings?.ReadsJobsOf?.ToFrozenSet(StringComparer.Ordinal)));

    /// <summary>The admin key opens the admin endpoints only: it carries the admin role and no team.</summary>
    public static readonly ClaimsPrincipal AdminPrincipal = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "(admin)"), new Claim(ClaimTypes.Role, GatewayKeyClaims.AdminRole)], GatewayKeyClaims.AuthenticationType));
}
