using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Gateway.Hosting;
using Gateway.Teams;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Gateway.Auth;

/// <summary>
/// The keys in force, held only as SHA-256 hashes. A presented key is hashed once and compared with every key's hash
/// in constant time, so neither the comparison nor the number of keys tells an attacker how close a guess was.
/// Keys live in configuration, never in Redis (a cache that may lose everything must not lock a team out), and
/// follow it: when appsettings.json or the key directory changes, the table is rebuilt and validated; a set that
/// fails validation is refused whole and the last good one stays in force.
/// </summary>
internal sealed class GatewayKeys : IDisposable
{
    // Keys longer than this are hashed from a pooled buffer rather than the stack.
    private const int StackKeyBytes = 256;
    private const string BearerPrefix = "Bearer ";

    private readonly IConfiguration _configuration;
    private readonly ILogger<GatewayKeys> _logger;
    private readonly IDisposable _watch;
    private KeyTable _table;
    private string _fingerprint;
    private volatile string? _reloadFailure;

    public GatewayKeys(IOptions<GatewayKeyOptions> auth, IOptions<TeamOptions> teams, IConfiguration configuration, ILogger<GatewayKeys> logger)
    {
        _configuration = configuration;
        _logger = logger;
        AllowAnonymous = auth.Value.AllowAnonymous;
        _table = KeyTable.Build(auth.Value, teams.Value, generation: 1);
        _fingerprint = Fingerprint(auth.Value, teams.Value);
        _watch = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public bool AllowAnonymous { get; }

    public KeyTable Table => Volatile.Read(ref _table);

    /// <summary>Why the latest change to the keys was refused; null while the keys in force are the configured ones.</summary>
    public string? ReloadFailure => _reloadFailure;

    /// <summary>What the bearer key in an <c>Authorization</c> header value opens, before its expiry is considered.</summary>
    public KeyMatch FindBearer(string? header) =>
        header is not null && header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) && header.AsSpan(BearerPrefix.Length).Trim() is { IsEmpty: false } key
            ? Find(key, Table)
            : header is { Length: > 0 } ? KeyMatch.Unknown : KeyMatch.Missing;

    public void Dispose() => _watch.Dispose();

    private static KeyMatch Find(ReadOnlySpan<char> presented, KeyTable table)
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

        // Every key is compared, found or not, so the time taken says nothing about which one matched.
        KeyEntry? found = null;
        foreach (var candidate in table.Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate.Hash))
            {
                found = candidate;
            }
        }

        if (table.Admin is not null && CryptographicOperations.FixedTimeEquals(hash, table.Admin))
        {
            return new KeyMatch(KeyTable.AdminPrincipal, null, KeyRefusal.None);
        }

        return found is null ? KeyMatch.Unknown
            : found.Disabled ? new KeyMatch(null, found, KeyRefusal.Revoked)
            : new KeyMatch(found.Principal, found, KeyRefusal.None);
    }

    private readonly Lock _reloading = new();

    // Each source of settings fires the reload token on its own thread; one rebuild at a time keeps the fingerprint
    // and the failure text consistent with the table in force.
    private void Reload()
    {
        lock (_reloading)
        {
            ReloadLocked();
        }
    }

    private void ReloadLocked()
    {
        var failures = new List<string>();
        var auth = new GatewayKeyOptions();
        var teams = new TeamOptions();
        SettingsBinding.Bind(_configuration, GatewayKeyOptions.SectionName, auth, failures);
        SettingsBinding.Bind(_configuration, TeamOptions.SectionName, teams.Teams, failures);
        failures.AddRange(TeamOptionsValidator.Check(teams));
        failures.AddRange(GatewayKeyOptionsValidator.Check(auth, teams));
        if (auth.AllowAnonymous != AllowAnonymous)
        {
            failures.Add($"{GatewayKeyOptions.SectionName}:AllowAnonymous changed; it takes effect only at start-up.");
        }

        if (failures.Count > 0)
        {
            var text = string.Join(" | ", failures.Distinct());
            if (text != _reloadFailure)
            {
                _logger.KeysReloadFailed(text);
            }

            _reloadFailure = text;
            return;
        }

        _reloadFailure = null;
        var fingerprint = Fingerprint(auth, teams);
        if (fingerprint == _fingerprint)
        {
            return;
        }

        var table = KeyTable.Build(auth, teams, Table.Generation + 1);
        _fingerprint = fingerprint;
        Volatile.Write(ref _table, table);
        _logger.KeysReloaded(table.Keys.Count, table.Keys.Select(static key => key.Team).Distinct().Count());
    }

    // What the table is built from; configuration reloads for any change, most of which leave the keys alone.
    private static string Fingerprint(GatewayKeyOptions auth, TeamOptions teams) =>
        string.Join('\n', auth.ClientKeys.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}")
            .Concat(teams.Teams.OrderBy(static p => p.Key, StringComparer.Ordinal).SelectMany(static team =>
                team.Value.Keys.OrderBy(static k => k.Key, StringComparer.Ordinal)
                    .Select(k => $"{team.Key}/{k.Key}={k.Value.Key}|{k.Value.NotAfter:O}|{k.Value.Disabled}")
                    .Append($"{team.Key} scopes={string.Join(',', team.Value.Scopes ?? ["*"])}")))
            .Append("admin=" + auth.AdminKey));
}
