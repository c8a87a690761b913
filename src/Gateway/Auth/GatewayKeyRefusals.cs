using Gateway.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Gateway.Auth;

/// <summary>
/// Answers requests that authorization turned away, saying why without revealing anything about other keys
/// (RFC 6750): no key gets <c>WWW-Authenticate: Bearer</c>; an unknown, expired or revoked key
/// <c>Bearer error="invalid_token"</c>; a team key outside its team's scopes 403 with
/// <c>error="insufficient_scope"</c>; the admin key on a team endpoint a plain 403. All with problem details and
/// <c>x-should-retry: false</c>, so the SDKs do not retry. Nothing reaches the upstream.
/// </summary>
internal sealed class GatewayKeyRefusals(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    // Not async on the way through: an admitted request pays no state machine here.
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            return KeyRefusals.Get(context) switch
            {
                KeyRefusal.Expired => RefuseAsync(context, StatusCodes.Status401Unauthorized, "Bearer error=\"invalid_token\", error_description=\"The key has expired\"",
                    "gateway-key-expired", "Gateway key expired", "This key is past its expiry. Ask your gateway's operators for the key that replaces it."),
                KeyRefusal.Revoked => RefuseAsync(context, StatusCodes.Status401Unauthorized, "Bearer error=\"invalid_token\", error_description=\"The key has been revoked\"",
                    "gateway-key-revoked", "Gateway key revoked", "This key has been revoked. Ask your gateway's operators for a new one."),
                KeyRefusal.Unknown => RefuseAsync(context, StatusCodes.Status401Unauthorized, "Bearer error=\"invalid_token\", error_description=\"Unknown key\"",
                    "gateway-key-unknown", "Gateway key not recognised", "Send Authorization: Bearer <your team's gateway key>. The Reducto key is never accepted here."),
                _ => RefuseAsync(context, StatusCodes.Status401Unauthorized, "Bearer",
                    "gateway-key-required", "Gateway key required", "Send Authorization: Bearer <your team's gateway key>. The Reducto key is never accepted here."),
            };
        }

        if (authorizeResult.Forbidden)
        {
            if (KeyRefusals.Get(context) == KeyRefusal.InsufficientScope && context.User is TeamPrincipal team)
            {
                var needed = Scopes.Describe(context.GetEndpoint()?.Metadata.GetMetadata<RequiredScope>()?.Scope ?? Scope.None);
                return RefuseAsync(context, StatusCodes.Status403Forbidden, $"Bearer error=\"insufficient_scope\", scope=\"{needed}\"",
                    "insufficient-scope", "Not allowed for this team",
                    $"Team {team.Team} may not do this: it needs the scope '{needed}'. Ask your gateway's operators to add it to Teams:{team.Team}:Scopes.");
            }

            // The status-code pages write the problem details.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        return next(context);
    }

    private Task RefuseAsync(HttpContext context, int status, string challenge, string code, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.WWWAuthenticate = challenge;
        context.Response.Headers[GatewayProblems.ShouldRetryHeader] = "false";
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Type = GatewayProblems.TypeBase + code, Title = title, Detail = detail },
        }).AsTask();
    }
}

/// <summary>Why the key check turned a request away, kept on the request for the answer.</summary>
internal static class KeyRefusals
{
    private static readonly object ItemKey = new();

    // Nothing is kept for "no key": it is what the answer assumes when nothing was kept, and a health probe or a
    // metrics scrape (keyless by design) then allocates no items dictionary.
    public static void Set(HttpContext context, KeyRefusal refusal)
    {
        if (refusal is not (KeyRefusal.None or KeyRefusal.Missing))
        {
            context.Items[ItemKey] = refusal;
        }
    }

    public static KeyRefusal Get(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var refusal) && refusal is KeyRefusal known ? known : KeyRefusal.None;
}
