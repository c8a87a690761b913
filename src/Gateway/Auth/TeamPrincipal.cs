using System.Collections.Frozen;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Gateway.Auth;

/// <summary>
/// A team's identity, built once per configured key at start-up and handed to every request that presents the key:
/// authenticating a request then builds no claims, and the team's name, which the pipeline reads several times per
/// request (rate limiting, metrics, the upstream budget), is a field rather than a search through claims.
/// Nothing in the gateway changes a principal after authentication; one that did would need its own copy.
/// </summary>
internal sealed class TeamPrincipal(string team, string keyId, Scope scopes, FrozenSet<string>? readsJobsOf = null) : ClaimsPrincipal(new ClaimsIdentity(
    [new Claim(ClaimTypes.Name, team), new Claim(GatewayKeyClaims.Team, team), new Claim(GatewayKeyClaims.KeyId, keyId)],
    GatewayKeyClaims.AuthenticationType))
{
    public string Team { get; } = team;

    /// <summary>The public id of the key this principal was opened with (one principal per key).</summary>
    public string KeyId { get; } = keyId;

    /// <summary>What the team may do.</summary>
    public Scope Scopes { get; } = scopes;

    /// <summary>Whether the team may do what <paramref name="required"/> names: the one scope check, for the pipeline's
    /// authorization and the direct path alike.</summary>
    public bool Holds(Scope required) => (Scopes & required) == required;

    /// <summary>The teams whose jobs this team may read (never cancel or delete): <c>Teams:&lt;team&gt;:ReadsJobsOf</c>.</summary>
    public FrozenSet<string> ReadsJobsOf { get; } = readsJobsOf ?? FrozenSet<string>.Empty;

    /// <summary>The logging scope every log line of this team's requests carries: the team and key id, never the key.</summary>
    public TeamLogScope LogScope { get; } = new(team, keyId);

    /// <summary>
    /// What the platform's evaluator would build per request for a principal already on the request (same
    /// authentication type), built on first use. Shared by every request of the team, so nothing may change its
    /// properties; two requests racing to build it each get a correct one.
    /// </summary>
    public Task<AuthenticateResult> Authenticated => _authenticated ??= Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(this, "context.User")));

    private Task<AuthenticateResult>? _authenticated;
}
