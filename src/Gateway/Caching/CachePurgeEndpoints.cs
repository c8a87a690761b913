using Gateway.Auth;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Caching;

/// <summary>
/// Operators' way to drop a job from the cache: a job deleted straight at Reducto (not through the gateway) is
/// otherwise served until its entry expires.
/// </summary>
internal static class CachePurgeEndpoints
{
    public static IEndpointRouteBuilder MapCachePurge(this IEndpointRouteBuilder routes)
    {
        routes.MapDelete("/admin/cache/jobs/{job_id}", PurgeAsync)
            .RequireAuthorization(AuthExtensions.AdminPolicy)
            .WithTags("Admin")
            .WithSummary("Drop a job from the gateway's cache")
            .ExcludeFromDescription();
        return routes;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> PurgeAsync(
        [FromRoute(Name = "job_id")] string jobId, HttpContext context, JobEviction eviction, CancellationToken cancellationToken)
    {
        if (!JobId.IsValid(jobId))
        {
            return GatewayProblems.InvalidJobId(context);
        }

        return await eviction.EvictAsync(jobId, cancellationToken)
            ? TypedResults.NoContent()
            : GatewayProblems.CacheUnavailable(context);
    }
}
