using System.Threading.RateLimiting;
using Gateway.Teams;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Auth;

/// <summary>What the front door decided for one request to a team endpoint.</summary>
internal enum AdmissionOutcome
{
    /// <summary>The key opens the endpoint and the team's ceiling had a token: go on.</summary>
    Admitted,

    /// <summary>No key, or one that opens nothing (unknown, expired, revoked): 401, no token spent.</summary>
    KeyRefused,

    /// <summary>The admin key on a team endpoint: 403, no token spent.</summary>
    NotATeam,

    /// <summary>A team key without the endpoint's scope: 403, no token spent.</summary>
    ScopeRefused,

    /// <summary>The team's <c>RequestsPerSecond</c> ceiling has no token left: 429.</summary>
    CeilingReached,
}

/// <param name="Team">The team admitted or refused; null when the key opened no team.</param>
/// <param name="Refusal">Why the key opened nothing, for <see cref="AdmissionOutcome.KeyRefused"/>.</param>
/// <param name="RetryAfter">When the ceiling has a token again, for <see cref="AdmissionOutcome.CeilingReached"/>.</param>
internal readonly record struct Admission(AdmissionOutcome Outcome, TeamPrincipal? Team, KeyRefusal Refusal, TimeSpan RetryAfter)
{
    public bool Admitted => Outcome == AdmissionOutcome.Admitted;
}

/// <summary>
/// The one authorisation step for a team's request, called by the request pipeline (<c>UseGatewayKeys</c>, once per
/// request) and by the direct hit path alike, so a rule added here binds both: the key as of now (revocation and
/// expiry), the endpoint's scope, then one token of the team's <c>RequestsPerSecond</c> ceiling, in that order. A
/// request refused for its key or scope spends no token. What a team may do with a particular job (ownership) is
/// <c>JobAccess</c>'s rule, applied where the job's owner is known.
/// </summary>
internal sealed class FrontDoor(GatewayKeys keys, TeamRequestLimiter ceilings, TimeProvider time)
{
    /// <summary>Decides <paramref name="match"/> (what the presented key opens) for an endpoint that needs <paramref name="required"/>.</summary>
    public Admission Admit(KeyMatch match, Scope required)
    {
        match = AsOfNow(match);

        TeamPrincipal team;
        if (match.Principal is TeamPrincipal principal)
        {
            team = principal;
        }
        else if (match.Principal is not null)
        {
            return new Admission(AdmissionOutcome.NotATeam, null, KeyRefusal.None, default);
        }
        else if (keys.AllowAnonymous)
        {
            // Without keys every caller is the one anonymous team, whatever it presents.
            team = TeamExtensions.AnonymousTeam;
        }
        else
        {
            return new Admission(AdmissionOutcome.KeyRefused, null, match.Refusal, default);
        }

        if (!team.Holds(required))
        {
            return new Admission(AdmissionOutcome.ScopeRefused, team, KeyRefusal.InsufficientScope, default);
        }

        if (!ceilings.Limits(team.Team))
        {
            return new Admission(AdmissionOutcome.Admitted, team, KeyRefusal.None, default);
        }

        using var lease = ceilings.ByTeam.AttemptAcquire(team.Team);
        return lease.IsAcquired
            ? new Admission(AdmissionOutcome.Admitted, team, KeyRefusal.None, default)
            : new Admission(AdmissionOutcome.CeilingReached, team, KeyRefusal.None,
                lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1));
    }

    /// <summary>What <paramref name="match"/> opens now: a key past its <c>NotAfter</c> opens nothing.</summary>
    public KeyMatch AsOfNow(KeyMatch match) => match.Entry is { NotAfter: not null } ? match.At(time.GetUtcNow()) : match;

    /// <summary>
    /// The scope <paramref name="endpoint"/> asks of a team, or null when it is not a team endpoint: one open to
    /// anyone, or one with a policy of its own (the admin endpoints), which ASP.NET Core's authorization decides.
    /// </summary>
    public static Scope? Demand(Endpoint? endpoint)
    {
        if (endpoint is null || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null ||
            endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null)
        {
            return null;
        }

        return endpoint.Metadata.GetMetadata<RequiredScope>()?.Scope ?? Scope.None;
    }
}

/// <summary>The front door's refusals, kept on the request for the steps that answer them.</summary>
internal static class Admissions
{
    // A request feature rather than an item: asking an admitted request (the common case) then allocates nothing.
    private sealed class Refusal(Admission admission)
    {
        public Admission Admission { get; } = admission;
    }

    public static void Keep(HttpContext context, in Admission admission)
    {
        if (!admission.Admitted)
        {
            context.Features.Set(new Refusal(admission));
        }
    }

    /// <summary>Why the front door turned the request away; null when it admitted it or did not decide it.</summary>
    public static Admission? Refused(HttpContext context) => context.Features.Get<Refusal>()?.Admission;
}
