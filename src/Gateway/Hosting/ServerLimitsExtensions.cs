using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Hosting;

internal static class ServerLimitsExtensions
{
    private const string LimitsSection = "Kestrel:Limits";

    /// <summary>
    /// Binds <c>Kestrel:Limits</c> (header sizes, URL length, body size). Kestrel reads only endpoints and certificates
    /// from its section by itself; without this the limits in appsettings.json would silently not apply. Also
    /// <c>Server:InlineScheduling</c>: off by default, since it speeds up large hits but slows small ones (bench/README.md).
    /// </summary>
    public static IServiceCollection AddServerLimits(this IServiceCollection services)
    {
        services.AddOptions<KestrelServerOptions>()
            .Configure<IConfiguration>(static (kestrel, configuration) => configuration.GetSection(LimitsSection).Bind(kestrel.Limits));
        services.AddOptions<SocketTransportOptions>()
            .Configure<IConfiguration>(static (sockets, configuration) =>
                sockets.UnsafePreferInlineScheduling = configuration.GetValue<bool>("Server:InlineScheduling"));
        return services;
    }
}
