using Gateway.Auth;
using Gateway.Hosting;
using Gateway.Problems;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Teams;

internal static class TeamLimitExtensions
{
    public static IServiceCollection AddTeamLimits(this IServiceCollection services)
    {
        services.AddOptions<TeamOptions>().BindSettings(TeamOptions.SectionName, static options => options.Teams).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TeamOptions>, TeamOptionsValidator>();
        services.AddSingleton<TeamQuotas>();
        services.AddSingleton<TeamRequestLimiter>();
        return services;
    }

    /// <summary>
    /// Answers a request the front door found past its team's <c>RequestsPerSecond</c> ceiling with the 429. The
    /// token was taken (or not) by the front door; this step sits after the quota headers and the usage counting
    /// so that the refusal carries the one and is counted by the other.
    /// </summary>
    public static WebApplication UseTeamCeiling(this WebApplication app)
    {
        app.Use((context, next) =>
            Admissions.Refused(context) is { Outcome: AdmissionOutcome.CeilingReached } refused
                ? GatewayProblems.TeamLimitReached(context, RetryAfterHint.Bounded(refused.RetryAfter, TimeSpan.FromSeconds(1))).ExecuteAsync(context)
                : next(context));
        return app;
    }
}
