using Gateway.Auth;
using Gateway.Credits;
using Gateway.Hosting;
using Gateway.Upstream;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Operations;

/// <summary>
/// The operations view: <c>GET /admin</c> (the page) and <c>GET /admin/overview</c> (its figures, admin key), the
/// history behind them, and the gauges the Prometheus rules in <c>deploy/</c> use.
/// </summary>
internal static class OperationsExtensions
{
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<OperationsOptions, OperationsOptionsValidator>().BindSettings(OperationsOptions.SectionName);
        services.AddSingleton<LatencyLedger>();
        services.AddSingleton<ReplicaActivity>();
        services.AddSingleton<StatusStrip>();
        services.AddSingleton<OperationsGauges>();
        services.AddSingleton<OperationsSampler>();
        services.AddHostedService(static provider => provider.GetRequiredService<OperationsSampler>());
        return services;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        routes.ServiceProvider.GetRequiredService<OperationsGauges>();
        routes.MapGet("/admin", AdminPage.Serve)
            .AllowAnonymous()
            .ExcludeFromDescription();
        routes.MapGet("/admin/overview", Overview)
            .RequireAuthorization(AuthExtensions.AdminPolicy)
            .WithName("GetOperationsOverview")
            .WithTags("Admin")
            .WithSummary("The operations view's figures (admin key)")
            .WithDescription("The last hour minute by minute, per team and in total (for the whole deployment when the gateway runs on Redis), and the status strip. GET /admin shows them as a page.");
        return routes;
    }

    private static Ok<OperationsOverview> Overview(
        HttpContext context, OperationsSampler sampler, StatusStrip status, GatewayKeys keys, IOptions<UpstreamOptions> upstream,
        IOptions<OperationsOptions> options, CreditBudgets credits, TimeProvider time)
    {
        // Before the first sample (the first moments after start) the answer is an empty hour, not an error.
        var snapshot = sampler.Latest ?? OperationsSnapshot.Empty(time.GetUtcNow());
        var teams = keys.Table.Keys.Select(static key => key.Team)
            .Concat(snapshot.Usage.SelectMany(static minute => minute.Teams.Keys))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        var total = OverviewBuilder.Total(snapshot.Usage);
        var from = DateTimeOffset.FromUnixTimeSeconds((snapshot.LastMinute - snapshot.Usage.Length + 1) * 60);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new OperationsOverview(
            snapshot.Shared ? "deployment" : "replica",
            from,
            60,
            snapshot.SampledAt,
            (int)Math.Max(1, Math.Ceiling(options.Value.SampleInterval.TotalSeconds)),
            status.Read(snapshot.Waiting),
            new UpstreamBudgetView(upstream.Value.JobPollsPerSecond, upstream.Value.RequestsPerSecond,
                OverviewBuilder.PerSecond(total.UpstreamCalls, snapshot.SampledAt.ToUnixTimeMilliseconds() % 60_000 / 1000.0)),
            total,
            [.. teams.Select(team => OverviewBuilder.Team(team, snapshot.Usage))],
            OverviewBuilder.Latency(snapshot.Latency),
            credits.ThisMonth()));
    }
}
