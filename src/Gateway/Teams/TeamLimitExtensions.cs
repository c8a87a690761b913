using System.Threading.RateLimiting;
using Gateway.Auth;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.Teams;

internal static class TeamLimitExtensions
{
    public static IServiceCollection AddTeamLimits(this IServiceCollection services)
    {
        services.AddOptions<TeamOptions>().BindSettings(TeamOptions.SectionName, static options => options.Teams).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TeamOptions>, TeamOptionsValidator>();
        services.AddSingleton<TeamQuotas>();
        services.AddRateLimiter(static _ => { });
        services.AddSingleton<TeamRequestLimiter>();
        services.AddOptions<RateLimiterOptions>().Configure<TeamRequestLimiter>(static (limiter, teams) =>
        {
            limiter.GlobalLimiter = teams.ByTeam.WithTranslatedKey<HttpContext>(static context => context.Team(), leaveOpen: true);
            limiter.OnRejected = static async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var hint) ? hint : TimeSpan.FromSeconds(1);
                var problem = GatewayProblems.TeamLimitReached(rejected.HttpContext, Upstream.RetryAfterHint.Bounded(retryAfter, TimeSpan.FromSeconds(1)));
                await problem.ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }
}
