using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

/// <summary>
/// The configured keys, held only as SHA-256 hashes. A presented key is hashed once and compared with every team's
/// hash in constant time, so neither the comparison nor the number of teams tells an attacker how close a guess was.
/// </summary>
internal sealed class GatewayKeys(IOptions<GatewayKeyOptions> options)
{
    public const string HashPrefix = "sha256:";

    private readonly (string Team, byte[] Hash)[] _teams = [.. options.Value.ClientKeys.Select(static pair => (pair.Key, HashOf(pair.Value)))];

    public const string AdminTeam = "(admin)";

    private readonly byte[]? _admin = string.IsNullOrWhiteSpace(options.Value.AdminKey) ? null : HashOf(options.Value.AdminKey);

    public bool AllowAnonymous => options.Value.AllowAnonymous;

    /// <summary>The team that owns <paramref name="presented"/>, <see cref="AdminTeam"/> for the admin key, or null.</summary>
    public string? Find(ReadOnlySpan<char> presented)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, hash);
        string? team = null;
        foreach (var candidate in _teams)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate.Hash))
            {
                team = candidate.Team;
            }
        }

        if (_admin is not null && CryptographicOperations.FixedTimeEquals(hash, _admin))
        {
            team = AdminTeam;
        }

        return team;
    }

    private static byte[] HashOf(string configured) =>
        configured.StartsWith(HashPrefix, StringComparison.Ordinal)
            ? Convert.FromHexString(configured.AsSpan(HashPrefix.Length))
            : SHA256.HashData(Encoding.UTF8.GetBytes(configured));
}
