using System.Net.Http.Headers;
using Gateway.Auth;
using Gateway.Cluster;
using Gateway.Ownership;
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
internal sealed class ServerKeyTransforms(IOptions<UpstreamOptions> upstream, JobEviction eviction, JobListFilter jobList) : ITransformProvider
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

        // The gateway keeps the promise an Idempotency-Key asks for (Creations); Reducto has none to keep.
        context.AddRequestHeaderRemove(Creations.CreationGate.IdempotencyKeyHeader);
        context.AddRequestTransform(transform =>
        {
            var key = upstream.Value.ApiKey;
            transform.ProxyRequest.Headers.Authorization = string.IsNullOrWhiteSpace(key) ? null : new AuthenticationHeaderValue("Bearer", key);
            return ValueTask.CompletedTask;
        });

        if (context.Route.Metadata?.GetValueOrDefault(OwnershipRoute.MetadataKey) is { } role &&
            OwnershipRoute.Names.GetValueOrDefault(role) == OwnershipRole.ListsJobs)
        {
            FilterJobList(context);
        }

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

    // A page is read whole (Reducto's pages are bounded by their limit of 500 jobs) to cut out other teams' jobs; it
    // is asked for uncompressed so that the cut needs no decoding.
    private void FilterJobList(TransformBuilderContext context)
    {
        context.AddRequestHeaderRemove("Accept-Encoding");
        context.AddResponseTransform(async transform =>
        {
            if (transform.ProxyResponse is not { IsSuccessStatusCode: true } response)
            {
                return;
            }

            transform.SuppressResponseBody = true;
            var page = await response.Content.ReadAsByteArrayAsync(transform.CancellationToken);
            var filtered = await jobList.FilterAsync(transform.HttpContext.Caller(), page);
            var answer = transform.HttpContext.Response;
            answer.Headers.Remove("Transfer-Encoding");
            answer.Headers.ContentEncoding = default;
            answer.ContentLength = filtered.Length;
            await answer.Body.WriteAsync(filtered, transform.CancellationToken);
        });
    }
}
