using System.Diagnostics;
using Gateway.Auth;
using Gateway.Hosting;
using Gateway.OpenApi;
using Gateway.Ownership;
using Gateway.Problems;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

internal static class JobEndpoints
{
    // A job read carries no body. The server never reads one, but a client sending megabytes still ties up the
    // connection while they drain, so a declared body is refused up front.
    private const long MaxJobRequestBodyBytes = 1024;

    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<JobOptions, JobOptionsValidator>().BindSettings(JobOptions.SectionName);
        services.AddSingleton<IValidateOptions<JobOptions>, JobOptionsIntervalValidator>();
        services.AddSingleton<RunningAnswers>();
        services.AddSingleton<RunningConfirmations>();
        services.AddSingleton<JobReader>();
        services.AddSingleton<JobMisses>();
        services.AddSingleton<RefreshQueue>();
        services.AddSingleton<JobFetch>();
        services.AddSingleton<NoticeReads>();
        services.AddSingleton<JobWatcher>();
        return services;
    }

    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/job/{job_id}", [HttpMethods.Get, HttpMethods.Head], GetJobAsync)
            .WithName("GetJob")
            .WithMetadata(new UsageRoute(TelemetryExtensions.JobRoute), new RequiredScope(Scope.JobsRead))
            .WithTags("Jobs")
            .WithSummary("Get a job's status and result")
            .WithDescription("Reducto's GET /job/{job_id}, served from the gateway's cache once the job is Completed or Failed. " +
                "A job another team created (unless your team reads its jobs through Teams:<team>:ReadsJobsOf), or one the gateway " +
                "did not see created (under Jobs:UnownedJobs=Deny), answers exactly as a job that does not exist: Reducto's 404.")
            .WithJobDocumentation();
        return routes;
    }

    // ValueTask: a hit completes synchronously and then costs no task allocation.
    private static async ValueTask<IResult> GetJobAsync(
        [FromRoute(Name = "job_id")] string jobId,
        HttpContext context,
        JobReader reader,
        JobWatcher watcher,
        JobAccess access,
        UnknownJobAnswer unknown,
        IOptions<JobOptions> jobs,
        UpstreamRefusals refusals,
        ILogger<JobReader> logger,
        CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > MaxJobRequestBodyBytes)
        {
            return GatewayProblems.BodyTooLarge(context, MaxJobRequestBodyBytes);
        }

        if (!JobId.IsValid(jobId))
        {
            context.Response.Headers[CacheStatusHeader.Name] = CacheStatusHeader.InvalidRequest;
            return GatewayProblems.InvalidJobId(context);
        }

        JobRead read;
        var wait = PreferWait.Read(context.Request, jobs.Value.MaxWait);
        if (wait is not null)
        {
            context.Response.Headers[PreferWait.AppliedHeader] = PreferWait.Applied(wait.Value);
        }

        // Before any read, join or wait: another team's job, and an unowned one under Deny, is answered as a job
        // that does not exist, with nothing sent upstream. The same rule turns such a hit away on the direct path.
        if (!await access.MayReadAsync(context.Caller(), jobId))
        {
            read = JobRead.Unknown(unknown.Current, reader.CacheAvailable);
        }
        else if (wait is { } requested)
        {
            read = await (watcher.TryJoin(jobId, requested, cancellationToken) ?? ReadThenWaitAsync(jobId, context.Team(), requested, reader, watcher, cancellationToken));
        }
        else
        {
            read = await reader.ReadAsync(jobId, context.Team(), cancellationToken);
        }

        if (read.Failure != UpstreamFailure.None)
        {
            context.Response.Headers[CacheStatusHeader.Name] = CacheStatusHeader.For(read);
            return refusals.ForJobRead(context, read.Failure);
        }

        if (read.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            // The server key was refused: the caller's own key is not at fault and must not be told Reducto's answer.
            context.Response.Headers[CacheStatusHeader.Name] = CacheStatusHeader.For(read);
            logger.AuthRejected(read.StatusCode);
            return GatewayProblems.UpstreamAuthRejected(context);
        }

        TimeSpan? retryAfter = null;
        if (read.StatusCode == StatusCodes.Status429TooManyRequests)
        {
            retryAfter = refusals.Throttled(read.RetryAfterHint);
            logger.Throttled(jobId, retryAfter.Value);
        }

        return new JobResponseResult(read, retryAfter);
    }

    // The first waiter on this replica reads the job itself: its answer is what it gets if nothing newer comes.
    private static async Task<JobRead> ReadThenWaitAsync(
        string jobId, string team, TimeSpan wait, JobReader reader, JobWatcher watcher, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var read = await reader.ReadAsync(jobId, team, cancellationToken);
        var remaining = wait - Stopwatch.GetElapsedTime(started);
        return read.Failure == UpstreamFailure.None && !read.EndsWait && remaining > TimeSpan.Zero
            ? await watcher.WaitAsync(jobId, team, read, remaining, cancellationToken)
            : read;
    }
}
