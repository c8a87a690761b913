using Gateway.Auth;
using OpenTelemetry.Metrics;

namespace Gateway.Telemetry;

/// <summary>Marks the endpoints whose traffic is counted per team, with the route name the metrics carry.</summary>
internal sealed record UsageRoute(string Name);

internal static class TelemetryExtensions
{
    public const string JobRoute = "job";
    public const string ForwardedRoute = "forwarded";

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<GatewayMetrics>();
        services.AddOpenTelemetry()
            .WithMetrics(static metrics => metrics
                .AddMeter(GatewayMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddPrometheusExporter(static prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));

        // No trace exporter is configured, so no tracer provider is built: it would record an activity per request
        // for nobody. The team is still tagged on Activity.Current for any listener (an APM agent) that creates one.
        return services;
    }

    /// <summary>Counts every answered job read and forwarded call per team, once the response is complete.</summary>
    public static WebApplication UseUsageMetrics(this WebApplication app)
    {
        app.Use(static async (context, next) =>
        {
            await next(context);
            if (context.GetEndpoint()?.Metadata.GetMetadata<UsageRoute>() is { Name: var route })
            {
                var hit = context.Response.Headers["Cache-Status"].ToString().StartsWith("Gateway; hit", StringComparison.Ordinal);
                context.RequestServices.GetRequiredService<GatewayMetrics>()
                    .Answered(context.Team(), route, context.Response.StatusCode, hit, context.Response.ContentLength);
            }
        });
        return app;
    }

    /// <summary>Prometheus scrape endpoint. Open like health: it carries team names and counts, no keys.</summary>
    public static IEndpointRouteBuilder MapGatewayMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return routes;
    }
}
