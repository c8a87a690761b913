using Gateway.Auth;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Ownership;

/// <summary>Teams own their jobs and files: the ledger, the one rule, its forwarded-route gate and the admin view.</summary>
internal static class OwnershipExtensions
{
    public static IServiceCollection AddOwnership(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<OwnershipOptions, OwnershipOptionsValidator>().BindSettings(OwnershipOptions.SectionName);
        services.AddSingleton<OwnershipLedger>();
        services.AddHostedService<OwnershipSync>();
        services.AddSingleton<JobAccess>();
        services.AddSingleton<UnknownJobAnswer>();
        services.AddSingleton<OwnershipGate>();
        services.AddSingleton<JobListFilter>();
        return services;
    }

    public static IEndpointRouteBuilder MapOwnership(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/admin/jobs/{job_id}", GetOwnerAsync)
            .WithName("GetJobOwner")
            .RequireAuthorization(AuthExtensions.AdminPolicy)
            .WithTags("Admin")
            .WithSummary("Who created a job")
            .WithDescription("The ownership ledger's record of a job: team, key id, route and time. 404 when the ledger does not know the job (Jobs:UnownedJobs decides who may use it).")
            .Produces<JobOwnerView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>A job's owner as the admin endpoint shows it.</summary>
    internal sealed record JobOwnerView(string JobId, string Team, string KeyId, string Route, DateTimeOffset CreatedAt);

    private static async Task<Results<Ok<JobOwnerView>, ProblemHttpResult>> GetOwnerAsync(
        [FromRoute(Name = "job_id")] string jobId, HttpContext context, OwnershipLedger ledger)
    {
        if (!JobId.IsValid(jobId))
        {
            return GatewayProblems.InvalidJobId(context);
        }

        return await ledger.FindAsync(OwnedKind.Job, jobId) is { } owner
            ? TypedResults.Ok(new JobOwnerView(jobId, owner.Team, owner.KeyId, owner.Route, owner.CreatedAt))
            : GatewayProblems.NotOwned(context, "job_id", OwnedKind.Job);
    }
}
