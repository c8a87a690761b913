using Gateway.Auth;
using Gateway.Ownership;
using Gateway.Telemetry;
using Microsoft.AspNetCore.DataProtection;

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
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<GatewayKeyOptions>, ProxyRouteScopeValidator>();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<GatewayKeyOptions>, ProxyRouteOwnershipValidator>();
        services.WithoutPersistedDataProtection();
        return services;
    }

    // Validated at start-up (ProxyRouteScopeValidator): every route names a known scope or "any".
    private static Scope RouteScope(Yarp.ReverseProxy.Configuration.RouteConfig route) =>
        route.Metadata?.GetValueOrDefault(Scopes.MetadataKey) is { } name && Scopes.Names.TryGetValue(name, out var scope) ? scope : Scope.None;

    /// <summary>
    /// YARP registers ASP.NET Core data protection for session-affinity cookies, which the gateway does not use. Left
    /// as it is, a hosted service creates a key ring at start-up, writes keys under the user's profile and warns that
    /// they are stored unencrypted ("No XML encryptor configured"). The gateway encrypts nothing, so nothing warms the
    /// key ring, and anything that ever asks for a protector gets one whose keys live in memory only.
    /// </summary>
    private static void WithoutPersistedDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        foreach (var warmUp in services.Where(static descriptor => descriptor.ServiceType == typeof(IHostedService) &&
                     descriptor.ImplementationType?.Namespace?.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) == true).ToArray())
        {
            services.Remove(warmUp);
        }

    }

    // Validated at start-up (ProxyRouteOwnershipValidator): every route names its role.
    private static OwnershipRole RouteOwnership(Yarp.ReverseProxy.Configuration.RouteConfig route) =>
        route.Metadata?.GetValueOrDefault(OwnershipRoute.MetadataKey) is { } name && OwnershipRoute.Names.TryGetValue(name, out var role) ? role : OwnershipRole.None;

    public static IEndpointRouteBuilder MapReductoProxy(this IEndpointRouteBuilder routes)
    {
        routes.MapReverseProxy(static proxy => proxy.Use(ForwardingGate.InvokeAsync))
            .WithMetadata(new UsageRoute(TelemetryExtensions.ForwardedRoute))
            .ConfigureEndpoints(static (endpoint, route) =>
            {
                var role = RouteOwnership(route);
                endpoint.WithMetadata(new RequiredScope(RouteScope(route)), new OwnershipRoute(role));

                // The account-wide routes take the admin key instead of a team's.
                if (role == OwnershipRole.AdminOnly)
                {
                    endpoint.RequireAuthorization(AuthExtensions.AdminPolicy);
                }
            });
        return routes;
    }
}
