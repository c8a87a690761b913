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
            if (!keys.AllowAnonymous)
            {
                authorization.FallbackPolicy = new AuthorizationPolicyBuilder(GatewayKeyHandler.SchemeName)
                    .RequireClaim(GatewayKeyHandler.TeamClaim)
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
        app.Use(static async (context, next) =>
        {
            // The team, never its key, goes on the trace and into every log line of the request.
            var team = context.Team();
            if (team == TeamExtensions.Anonymous)
            {
                await next(context);
                return;
            }

            Activity.Current?.SetTag(GatewayKeyHandler.TeamClaim, team);
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Requests");
            using (logger.BeginScope(new Dictionary<string, object> { ["Team"] = team }))
            {
                await next(context);
            }
        });
        return app;
    }
}
