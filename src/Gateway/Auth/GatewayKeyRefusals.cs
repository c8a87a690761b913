using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Gateway.Auth;

/// <summary>
/// Answers requests that authorization turned away. Without a key, or with an unknown one: 401 problem details with
/// <c>WWW-Authenticate: Bearer</c>, the header the official SDKs understand, and <c>x-should-retry: false</c> so they
/// do not retry. With a key not allowed there (the admin key on a job): 403. Nothing reaches the upstream.
/// </summary>
internal sealed class GatewayKeyRefusals(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    // Not async on the way through: an admitted request pays no state machine here.
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            return ChallengeAsync(context);
        }

        if (authorizeResult.Forbidden)
        {
            // The status-code pages write the problem details.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        return next(context);
    }

    private Task ChallengeAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        context.Response.Headers["x-should-retry"] = "false";
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Type = "urn:gateway:problem:gateway-key-required",
                Title = "Gateway key required",
                Detail = "Send Authorization: Bearer <your team's gateway key>. The Reducto key is never accepted here.",
            },
        }).AsTask();
    }
}
