using Gateway.Telemetry;

namespace Gateway.Proxy;

/// <summary>
/// Every Reducto endpoint other than the cached job read, forwarded by YARP. The routes live in the
/// <c>ReverseProxy</c> configuration section, so a new Reducto endpoint needs a configuration line, not code; the
/// destination and the key come from <c>Upstream</c>, so they are configured once.
/// </summary>
internal static class ProxyExtensions
{
    public const string SectionName = "ReverseProxy";
    public const string ClusterId = "reducto";

    public static IServiceCollection AddReductoProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection(SectionName))
            .AddConfigFilter<UpstreamDestinationFilter>()
            .AddTransforms<ServerKeyTransforms>();
        return services;
    }

    public static IEndpointRouteBuilder MapReductoProxy(this IEndpointRouteBuilder routes)
    {
        routes.MapReverseProxy(static proxy => proxy.Use(ForwardingGate.InvokeAsync))
            .WithMetadata(new UsageRoute(TelemetryExtensions.ForwardedRoute));
        return routes;
    }
}
