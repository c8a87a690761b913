using System.Buffers;
using System.Security.Claims;
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

    // Keys longer than this are hashed from a pooled buffer rather than the stack.
    private const int StackKeyBytes = 256;

    private readonly (byte[] Hash, ClaimsPrincipal Principal)[] _teams =
        [.. options.Value.ClientKeys.Select(static pair => (HashOf(pair.Value), (ClaimsPrincipal)new TeamPrincipal(pair.Key)))];

    private readonly byte[]? _admin = string.IsNullOrWhiteSpace(options.Value.AdminKey) ? null : HashOf(options.Value.AdminKey);

    // The admin key opens the admin endpoints only: it carries the admin role and no team.
    private static readonly ClaimsPrincipal AdminPrincipal = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "(admin)"), new Claim(ClaimTypes.Role, GatewayKeyClaims.AdminRole)], GatewayKeyClaims.AuthenticationType));

    public bool AllowAnonymous => options.Value.AllowAnonymous;

    private const string BearerPrefix = "Bearer ";

    /// <summary>The key an <c>Authorization</c> header value presents as a bearer token; empty when it presents none.</summary>
    private static ReadOnlySpan<char> BearerKey(string? header) =>
        header is not null && header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? header.AsSpan(BearerPrefix.Length).Trim() : default;

    /// <summary>The principal for the bearer key in an <c>Authorization</c> header value, or null.</summary>
    public ClaimsPrincipal? FindBearer(string? header) => BearerKey(header) is { IsEmpty: false } key ? Find(key) : null;

    /// <summary>The principal of the team that owns <paramref name="presented"/>, the admin's for the admin key, or null.</summary>
    private ClaimsPrincipal? Find(ReadOnlySpan<char> presented)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var length = Encoding.UTF8.GetByteCount(presented);
        byte[]? rented = null;
        var bytes = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(presented, bytes)], hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
            else
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }

        ClaimsPrincipal? found = null;
        foreach (var candidate in _teams)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate.Hash))
            {
                found = candidate.Principal;
            }
        }

        if (_admin is not null && CryptographicOperations.FixedTimeEquals(hash, _admin))
        {
            found = AdminPrincipal;
        }

        return found;
    }

    private static byte[] HashOf(string configured) =>
        configured.StartsWith(HashPrefix, StringComparison.Ordinal)
            ? Convert.FromHexString(configured.AsSpan(HashPrefix.Length))
            : SHA256.HashData(Encoding.UTF8.GetBytes(configured));
}
