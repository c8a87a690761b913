using System.Diagnostics;
using Gateway.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

internal static class AuthExtensions
{
    public static IServiceCollection AddGatewayKeys(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatewayKeyOptions>().BindSettings(GatewayKeyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayKeyOptions>, GatewayKeyOptionsValidator>();
        services.AddSingleton<GatewayKeys>();
        services.AddSingleton<KeyExpiryReporter>();
        services.AddHostedService(static provider => provider.GetRequiredService<KeyExpiryReporter>());
        services.AddAuthorization();
        services.AddSingleton<IPolicyEvaluator, TeamPolicyEvaluator>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, GatewayKeyRefusals>();
        services.AddOptions<AuthorizationOptions>().Configure<GatewayKeys>(static (authorization, keys) =>
        {
            // Every endpoint needs a team's key unless it says otherwise (health, OpenAPI) or anonymous use was chosen.
            if (!keys.AllowAnonymous)
            {
                authorization.FallbackPolicy = TeamPolicyEvaluator.TeamRequired;
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
        var time = app.Services.GetRequiredService<TimeProvider>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Requests");
        app.Use(async (context, next) =>
        {
            var match = ConnectionKeyMemo.FindBearer(context, keys);
            if (match.Entry is { NotAfter: not null })
            {
                match = match.At(time.GetUtcNow());
            }

            if (match.Principal is not { } principal)
            {
                KeyRefusals.Set(context, match.Refusal);
                await next(context);
                return;
            }

            context.User = principal;
            if (principal is not TeamPrincipal team)
            {
                await next(context);
                return;
            }

            // The team and key id, never the key, go on the trace and into every log line of the request, refusals included.
            if (Activity.Current is { } activity)
            {
                activity.SetTag(GatewayKeyClaims.Team, team.Team);
                activity.SetTag(GatewayKeyClaims.KeyId, team.KeyId);
            }

            using (logger.BeginScope(team.LogScope))
            {
                await next(context);
            }
        });
        app.UseAuthorization();
        return app;
    }
}
