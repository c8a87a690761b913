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
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<TeamOptions>>(static (limiter, teams) =>
        {
            var limits = teams.Value.Teams;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var team = context.Team();
                return limits.TryGetValue(team, out var limit) && limit.RequestsPerSecond is { } rate
                    ? RateLimitPartition.GetTokenBucketLimiter(team, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = rate,
                        TokensPerPeriod = rate,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty);
            });
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
