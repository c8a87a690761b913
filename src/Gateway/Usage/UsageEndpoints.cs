using Gateway.Auth;
using Gateway.Credits;
using Gateway.Teams;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Usage;

/// <summary>
/// Usage a team can ask for itself (<c>GET /usage</c>, with its own key) and the operators' view of every team
/// (<c>GET /admin/usage</c>, with the admin key): requests, cache hits, shared answers, upstream calls and 429s by
/// cause, today and over the last hour, the quota, the team's key ids with their expiry, and the credits and pages its
/// jobs cost (today, this month, the last hour, per key id, and the budget).
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

    private static async Task<Ok<UsageReport>> ForTeamAsync(
        HttpContext context, UsageLedger ledger, TeamQuotas quotas, GatewayKeys keys, CreditLedger credits, CreditBudgets budgets)
    {
        var team = context.Team();
        var (today, lastHour) = await ledger.ReadAsync(team);
        var booked = await credits.ReadAsync(team);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(UsageReport.For(team, ledger.Shared, today, lastHour, quotas.View(team), keys.Table,
            CreditsReport.For(booked, await budgets.ReportAsync(team))));
    }

    private static async Task<Ok<UsageOverview>> ForEveryTeamAsync(
        HttpContext context, UsageLedger ledger, TeamQuotas quotas, GatewayKeys keys, CreditLedger credits, CreditBudgets budgets)
    {
        var counts = await ledger.ReadAllAsync();
        var booked = (await credits.ReadAsync()).ToLookup(static p => p.Team, StringComparer.Ordinal);
        var table = keys.Table;
        var teams = table.Keys.Select(static key => key.Team).Concat(counts.Keys).Concat(booked.Select(static g => g.Key))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var reports = new List<UsageReport>(teams.Length);
        foreach (var team in teams)
        {
            var (today, lastHour) = counts.TryGetValue(team, out var found) ? found : (UsageCounts.Zero(), UsageCounts.Zero());
            reports.Add(UsageReport.For(team, ledger.Shared, today, lastHour, quotas.View(team), table,
                CreditsReport.For(booked[team], await budgets.ReportAsync(team))));
        }

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new UsageOverview(ledger.Shared ? "deployment" : "replica", reports));
    }
}
