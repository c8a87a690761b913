using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

internal static class HealthExtensions
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddGatewayHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<CacheHealthCheck>("cache", tags: [ReadyTag])
            .AddCheck<UpstreamHealthCheck>("upstream", tags: [ReadyTag])
            .AddCheck<KeysHealthCheck>("keys", tags: [ReadyTag]);
        return services;
    }

    /// <summary>
    /// <c>/healthz</c>: liveness, no checks (the process answers). <c>/readyz</c>: readiness, 200 while Healthy or
    /// Degraded (the gateway can serve), 503 only when Unhealthy. Options are validated at start-up, so a gateway
    /// that is running has a valid configuration.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = WriteAsync })
            .WithTags("Health").AllowAnonymous();
        routes.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = static c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .WithTags("Health").AllowAnonymous();
        return routes;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(static e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}
