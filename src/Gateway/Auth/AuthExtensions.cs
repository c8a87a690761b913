using System.Diagnostics;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

internal static class AuthExtensions
{
    public static IServiceCollection AddGatewayKeys(this IServiceCollection services)
    {
        services.AddOptions<GatewayKeyOptions>().BindConfiguration(GatewayKeyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayKeyOptions>, GatewayKeyOptionsValidator>();
        services.AddSingleton<GatewayKeys>();
        services.AddAuthentication(GatewayKeyHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, GatewayKeyHandler>(GatewayKeyHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<GatewayKeys>(static (authorization, keys) =>
        {
            // Every endpoint needs a key unless it says otherwise (health, OpenAPI) or anonymous use was chosen.
            // The policy names no scheme: the default one (gateway keys) has already authenticated the request, and
            // naming it would authenticate again and copy the principal on every request.
            if (!keys.AllowAnonymous)
            {
                authorization.FallbackPolicy = new AuthorizationPolicyBuilder()
                    .RequireAssertion(static context => context.User is TeamPrincipal)
                    .Build();
            }
        });
        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, static policy => policy
            .AddAuthenticationSchemes(GatewayKeyHandler.SchemeName)
            .RequireRole(GatewayKeyHandler.AdminRole));
        return services;
    }

    public const string AdminPolicy = "gateway-admin";

    public static WebApplication UseGatewayKeys(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Requests");
        app.Use(async (context, next) =>
        {
            // The team, never its key, goes on the trace and into every log line of the request.
            if (context.User is not TeamPrincipal principal)
            {
                await next(context);
                return;
            }

            Activity.Current?.SetTag(GatewayKeyHandler.TeamClaim, principal.Team);
            using (logger.BeginScope(principal.LogScope))
            {
                await next(context);
            }
        });
        return app;
    }
}
