using Gateway.Auth;
using Gateway.Teams;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Usage;

/// <summary>
/// Usage a team can ask for itself (<c>GET /usage</c>, with its own key) and the operators' view of every team
/// (<c>GET /admin/usage</c>, with the admin key): requests, cache hits, shared answers, upstream calls and 429s by
/// cause, today and over the last hour, the quota, and the team's key ids with their expiry.
/// </summary>
internal static class UsageEndpoints
{
    public static IServiceCollection AddUsage(this IServiceCollection services)
    {
        services.AddSingleton<UsageLedger>();
        services.AddHostedService<UsageFlusher>();
        return services;
    }

    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/usage", ForTeamAsync)
            .WithMetadata(new RequiredScope(Scope.None))
            .WithName("GetUsage")
            .WithTags("Usage")
            .WithSummary("Your team's usage")
            .WithDescription("Today (since 00:00 UTC) and the last 60 minutes, for the whole deployment when the gateway runs on Redis.");
        routes.MapGet("/admin/usage", ForEveryTeamAsync)
            .RequireAuthorization(AuthExtensions.AdminPolicy)
            .WithName("GetUsageOfEveryTeam")
            .WithTags("Admin")
            .WithSummary("Every team's usage (admin key)");
        return routes;
    }

    private static async Task<Ok<UsageReport>> ForTeamAsync(HttpContext context, UsageLedger ledger, TeamQuotas quotas, GatewayKeys keys)
    {
        var team = context.Team();
        var (today, lastHour) = await ledger.ReadAsync(team);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(UsageReport.For(team, ledger.Shared, today, lastHour, quotas.View(team), keys.Table));
    }

    private static async Task<Ok<UsageOverview>> ForEveryTeamAsync(HttpContext context, UsageLedger ledger, TeamQuotas quotas, GatewayKeys keys)
    {
        var counts = await ledger.ReadAllAsync();
        var table = keys.Table;
        var teams = table.Keys.Select(static key => key.Team).Concat(counts.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new UsageOverview(ledger.Shared ? "deployment" : "replica", [.. teams.Select(team =>
        {
            var (today, lastHour) = counts.TryGetValue(team, out var found) ? found : (UsageCounts.Zero(), UsageCounts.Zero());
            return UsageReport.For(team, ledger.Shared, today, lastHour, quotas.View(team), table);
        })]));
    }
}
