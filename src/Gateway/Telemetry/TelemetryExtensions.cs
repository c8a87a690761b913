using System.Diagnostics;
using Gateway.Auth;
using Gateway.Operations;
using Gateway.Usage;
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
        services.AddSingleton<RequestAccounting>();
        services.AddOpenTelemetry()
            .WithMetrics(static metrics => metrics
                // The platform's own server and client instruments. The OpenTelemetry instrumentation packages would
                // enable the same meters and also wrap every request in one more middleware. "System.Runtime" is the
                // runtime's (GC, allocated bytes, memory, thread pool): what an operator watches for memory growth,
                // and where the benchmark reads bytes allocated per request.
                .AddMeter(GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime")
                .AddPrometheusExporter(static prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));

        // No trace exporter is configured, so no tracer provider is built: it would record an activity per request
        // for nobody. The team is still tagged on Activity.Current for any listener (an APM agent) that creates one.
        return services;
    }

    /// <summary>Counts every answered job read and forwarded call per team, once the response is complete.</summary>
    public static WebApplication UseUsageMetrics(this WebApplication app)
    {
        var accounting = app.Services.GetRequiredService<RequestAccounting>();

        // A hit usually completes synchronously; counting it then needs no state machine.
        app.Use((context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            var pending = next(context);
            if (!pending.IsCompletedSuccessfully)
            {
                return CountAfterAsync(pending, context, accounting, started);
            }

            Count(context, accounting, started);
            return Task.CompletedTask;
        });
        return app;
    }

    private static async Task CountAfterAsync(Task pending, HttpContext context, RequestAccounting accounting, long started)
    {
        await pending;
        Count(context, accounting, started);
    }

    private static void Count(HttpContext context, RequestAccounting accounting, long started)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<UsageRoute>() is { Name: var route })
        {
            var status = context.Response.StatusCode;
            accounting.Count(new AnsweredRequest(
                context.Team(), route, status, context.Features.Get<ServedFeature>()?.Served ?? Served.Other, context.Response.ContentLength,
                status == StatusCodes.Status429TooManyRequests ? ThrottleCause.Of(context) : null, Stopwatch.GetElapsedTime(started)));
        }
    }

    /// <summary>Prometheus scrape endpoint. Open like health: it carries team names and counts, no keys.</summary>
    public static IEndpointRouteBuilder MapGatewayMetrics(this IEndpointRouteBuilder routes)
    {
        routes.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return routes;
    }
}
