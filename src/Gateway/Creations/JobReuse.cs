using Gateway.Auth;
using Gateway.Credits;
using Gateway.Ownership;
using Gateway.Teams;
using Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Gateway.Creations;

/// <summary>
/// Reuse of completed results, for teams that opt in (<c>Teams:&lt;team&gt;:ReuseCompletedJobs</c>): a job creation
/// whose <see cref="ReuseKey"/> names a job the team created and that Completed is answered with that job, and costs
/// nothing. The three moments are here: before the upstream (answer, or carry the key on), once the creation's id is
/// known (remember it, and what an upload held), and when the gateway learns a job is over (only Completed enters the
/// index). The design note (README.md in this folder) has the picture.
/// </summary>
internal sealed class JobReuse(CompletedJobs index, CreditLedger credits, GatewayMetrics metrics, IOptionsMonitor<TeamOptions> teams, ILogger<JobReuse> logger)
{
    /// <summary>Names the earlier job an answer gives instead of creating one.</summary>
    public const string ReusedHeader = "Gateway-Reused-Job";

    public bool EnabledFor(string team) => teams.CurrentValue.Teams.TryGetValue(team, out var settings) && settings.ReuseCompletedJobs;

    /// <summary>
    /// For a job creation by a team that reuses: the earlier job's answer when there is one, and the creation's reuse
    /// key (null when it can never be reused), which a forwarded creation remembers. Synchronous routes are only
    /// remembered: their answer is the whole result, which the gateway does not keep. <c>Cache-Control: no-cache</c>
    /// asks for a new job, which is remembered in turn.
    /// </summary>
    public async Task<(IResult? Reused, string? Key)> StartAsync(HttpContext context, OwnershipRole role, string route)
    {
        var team = context.Team();
        var request = context.Request;
        if (role != OwnershipRole.CreatesJob || !EnabledFor(team) || request.Body is not MemoryStream body)
        {
            return (null, null);
        }

        var key = await ReuseKey.ComputeAsync(request.Path.Value ?? string.Empty, body.ToArray(), fileId => index.FileContentAsync(team, fileId));
        if (key is null || SynchronousBooking.IsSynchronous(request) || request.GetTypedHeaders().CacheControl?.NoCache == true ||
            await index.FindAsync(team, key) is not { } job)
        {
            return (null, key);
        }

        logger.Reused(route, team, job.JobId);
        metrics.CreationReused(team, route);
        await credits.BookSavedAsync(team, context.Caller().KeyId, job.Pages, job.Millicredits);
        return (new ReusedJobAnswer(job.JobId), key);
    }

    /// <summary>Once a forwarded creation's id is known, before its caller can have it: what a job or an upload is, for later.</summary>
    public Task RecordedAsync(HttpContext context, OwnershipRole role, string id, string? key, UploadContentHash? content) => role switch
    {
        OwnershipRole.CreatesJob when key is not null => index.RememberAsync(id, context.Team(), key),
        OwnershipRole.CreatesFile when content?.Identity is { } identity => index.RecordFileAsync(context.Team(), id, identity),
        _ => Task.CompletedTask,
    };

    /// <summary>Wherever the gateway learns a job is over: a Completed job created under a reuse key becomes the one to give.</summary>
    public async Task LearnedTerminalAsync(string jobId, ReadOnlyMemory<byte> body)
    {
        if (!teams.CurrentValue.Teams.Values.Any(static team => team.ReuseCompletedJobs) ||
            credits.Cost(body.Span) is not { Usage.Completed: true } cost ||
            await index.PendingAsync(jobId) is not { } pending)
        {
            return;
        }

        await index.CompleteAsync(pending, new ReusableJob(jobId, cost.Pages, cost.Millicredits));
    }

    /// <summary>What Reducto answers a job creation, naming the earlier job, and the header that says so.</summary>
    private sealed class ReusedJobAnswer(string jobId) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[ReusedHeader] = jobId;
            return TypedResults.Json(new CreatedJob(jobId)).ExecuteAsync(httpContext);
        }
    }

    private sealed record CreatedJob([property: System.Text.Json.Serialization.JsonPropertyName("job_id")] string JobId);
}
