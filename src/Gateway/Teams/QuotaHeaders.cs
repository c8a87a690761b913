using System.Globalization;
using Gateway.Auth;

namespace Gateway.Teams;

/// <summary>
/// Tells every caller of a team with a quota what is left, in the IETF draft's fields
/// (draft-ietf-httpapi-ratelimit-headers): <c>RateLimit-Policy: "daily";q=&lt;quota&gt;;w=86400</c> and
/// <c>RateLimit: "daily";r=&lt;remaining&gt;;t=&lt;seconds to the reset&gt;</c>. Written as the response starts, so they
/// count this request's own upstream call. Teams without a quota, and gateways where no team has one, pay nothing.
/// </summary>
internal static class QuotaHeaders
{
    public const string PolicyHeader = "RateLimit-Policy";
    public const string StateHeader = "RateLimit";

    public static WebApplication UseQuotaHeaders(this WebApplication app)
    {
        var quotas = app.Services.GetRequiredService<TeamQuotas>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        if (!quotas.Any)
        {
            return app;
        }

        app.Use((context, next) =>
        {
            if (context.User is TeamPrincipal team && quotas.View(team.Team) is not null)
            {
                context.Response.OnStarting(static state =>
                {
                    var (context, quotas, time, team) = ((HttpContext, TeamQuotas, TimeProvider, string))state;
                    if (quotas.View(team) is { } view)
                    {
                        var (policy, remaining) = Values(view, time.GetUtcNow());
                        context.Response.Headers[PolicyHeader] = policy;
                        context.Response.Headers[StateHeader] = remaining;
                    }

                    return Task.CompletedTask;
                }, (context, quotas, time, team.Team));
            }

            return next(context);
        });
        return app;
    }

    /// <summary>The two fields' values for a team's quota as of <paramref name="now"/>.</summary>
    public static (string Policy, string State) Values(QuotaView view, DateTimeOffset now)
    {
        var reset = Math.Max((long)Math.Ceiling((view.ResetsAt - now).TotalSeconds), 0);
        return (string.Create(CultureInfo.InvariantCulture, $"\"daily\";q={view.Limit};w=86400"),
            string.Create(CultureInfo.InvariantCulture, $"\"daily\";r={view.Remaining};t={reset}"));
    }
}
