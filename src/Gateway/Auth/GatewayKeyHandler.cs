using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

/// <summary>
/// Reads <c>Authorization: Bearer &lt;gateway key&gt;</c>, the header the official SDKs send, and names the team.
/// A failed check answers 401 problem details with <c>WWW-Authenticate: Bearer</c>; nothing reaches the upstream.
/// </summary>
internal sealed class GatewayKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    GatewayKeys keys,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "GatewayKey";
    public const string TeamClaim = "gateway.team";
    public const string AdminRole = "gateway-admin";
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var principal = keys.Find(header.AsSpan(BearerPrefix.Length).Trim());
        if (principal is null)
        {
            // The key itself is never written anywhere: not in the log, not in the answer.
            return Task.FromResult(AuthenticateResult.Fail("Unknown gateway key."));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        Response.Headers["x-should-retry"] = "false";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Type = "urn:gateway:problem:gateway-key-required",
                Title = "Gateway key required",
                Detail = "Send Authorization: Bearer <your team's gateway key>. The Reducto key is never accepted here.",
            },
        });
    }
}
