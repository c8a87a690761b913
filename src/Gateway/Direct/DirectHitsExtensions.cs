using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Direct;

internal static class DirectHitsExtensions
{
    /// <summary>
    /// Puts the direct hit path (<see cref="HitConnection"/>) in front of Kestrel's HTTP layer on every endpoint that
    /// speaks HTTP/1.1, unless <c>Server:DirectHits</c> is false. It runs first on the connection, so on a TLS
    /// endpoint it sees only ciphertext, which it hands to Kestrel untouched.
    /// </summary>
    public static IServiceCollection AddDirectHits(this IServiceCollection services)
    {
        services.AddSingleton<DirectHits>();
        services.AddOptions<KestrelServerOptions>().Configure(static kestrel => kestrel.ConfigureEndpointDefaults(static endpoint =>
            endpoint.Use(kestrelHttp =>
            {
                var hits = endpoint.ApplicationServices.GetRequiredService<DirectHits>();
                return hits.Enabled && endpoint.Protocols.HasFlag(HttpProtocols.Http1) ? HitConnection.Middleware(kestrelHttp, hits) : kestrelHttp;
            })));
        return services;
    }

    /// <summary>What the pipeline does for the direct path: number trace identifiers on across the sessions of a connection.</summary>
    public static WebApplication UseDirectHits(this WebApplication app) => PriorRequests.UseContinuedTraceIdentifiers(app);
}
