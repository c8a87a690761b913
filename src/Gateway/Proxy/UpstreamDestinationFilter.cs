using Gateway.Upstream;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>Points the <c>reducto</c> cluster at <c>Upstream:BaseUrl</c>, the one place the upstream is configured.</summary>
internal sealed class UpstreamDestinationFilter(IOptions<UpstreamOptions> upstream) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (cluster.ClusterId != ProxyExtensions.ClusterId)
        {
            return ValueTask.FromResult(cluster);
        }

        return ValueTask.FromResult(cluster with
        {
            Destinations = new Dictionary<string, DestinationConfig>
            {
                ["upstream"] = new() { Address = upstream.Value.BaseUrl.AbsoluteUri },
            },
        });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);
}
