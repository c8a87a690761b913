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
        services.AddSingleton<FrontDoor>();
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
        var frontDoor = app.Services.GetRequiredService<FrontDoor>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Requests");
        app.Use(async (context, next) =>
        {
            var match = frontDoor.AsOfNow(ConnectionKeyMemo.FindBearer(context, keys));
            KeyRefusals.Set(context, match.Refusal);
            if (FrontDoor.Demand(context.GetEndpoint()) is { } required)
            {
                // A team endpoint: the one step the direct path takes too. Its refusals are answered further on,
                // by authorization (key, scope) and by the team ceiling (UseTeamCeiling), in the pipeline's order.
                var admission = frontDoor.Admit(match, required);
                Admissions.Keep(context, admission);
                KeyRefusals.Set(context, admission.Refusal);
            }

            // What the key opens goes on the request whatever the front door said: authorization and the logs read it,
            // and endpoints with a policy of their own (the admin endpoints) are decided there.
            var principal = match.Principal;
            if (principal is null)
            {
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
