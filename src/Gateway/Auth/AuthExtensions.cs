using System.Diagnostics;
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
        services.AddAuthorization();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, GatewayKeyRefusals>();
        services.AddOptions<AuthorizationOptions>().Configure<GatewayKeys>(static (authorization, keys) =>
        {
            // Every endpoint needs a team's key unless it says otherwise (health, OpenAPI) or anonymous use was chosen.
            if (!keys.AllowAnonymous)
            {
                authorization.FallbackPolicy = new AuthorizationPolicyBuilder()
                    .RequireAssertion(static context => context.User is TeamPrincipal)
                    .Build();
            }
        });
        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, static policy => policy.RequireRole(GatewayKeyClaims.AdminRole));
        return services;
    }

    public const string AdminPolicy = "gateway-admin";

    public static WebApplication UseGatewayKeys(this WebApplication app)
    {
        // Who is calling is one hash and one lookup, done here for every request. ASP.NET Core's authentication
        // middleware would resolve and initialise a scheme handler per request to do the same (a third of a cache
        // hit's allocations when it did); its authorization (policies, AllowAnonymous) is used as designed.
        var keys = app.Services.GetRequiredService<GatewayKeys>();
        app.Use((context, next) =>
        {
            if (keys.FindBearer(context.Request.Headers.Authorization.ToString()) is { } principal)
            {
                context.User = principal;
            }

            return next(context);
        });
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

            Activity.Current?.SetTag(GatewayKeyClaims.Team, principal.Team);
            using (logger.BeginScope(principal.LogScope))
            {
                await next(context);
            }
        });
        return app;
    }
}
