using System.Net.Http.Headers;
using Gateway.Cluster;
using Gateway.Upstream;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Proxy;

/// <summary>
/// What every forwarded request and response goes through. The caller's Authorization (its gateway key) is
/// replaced by the server key, never added to; cookies and X-Forwarded-* headers, which would tell the vendor about
/// our callers and network, are dropped. Routes marked <c>EvictsJob</c> drop that job from the cache once Reducto
/// accepts the call, on every replica, so a deleted or cancelled job is not served from cache afterwards.
/// </summary>
internal sealed class ServerKeyTransforms(IOptions<UpstreamOptions> upstream, JobEviction eviction) : ITransformProvider
{
    public const string EvictsJobMetadata = "EvictsJob";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.UseDefaultForwarders = false;
        context.AddRequestHeaderRemove("Cookie");
        context.AddRequestTransform(transform =>
        {
            var key = upstream.Value.ApiKey;
            transform.ProxyRequest.Headers.Authorization = string.IsNullOrWhiteSpace(key) ? null : new AuthenticationHeaderValue("Bearer", key);
            return ValueTask.CompletedTask;
        });

        if (context.Route.Metadata?.TryGetValue(EvictsJobMetadata, out var evicts) == true && bool.TryParse(evicts, out var enabled) && enabled)
        {
            context.AddResponseTransform(async transform =>
            {
                if (transform.ProxyResponse is { IsSuccessStatusCode: true } &&
                    transform.HttpContext.GetRouteValue("job_id") is string jobId)
                {
                    await eviction.EvictAsync(jobId, transform.HttpContext.RequestAborted);
                }
            });
        }
    }
}
