using System.Globalization;
using Gateway.Creations;
using Gateway.Ownership;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.OpenApi;

/// <summary>
/// What a creating route (<c>Metadata:Ownership</c> <c>creates-job</c> or <c>creates-file</c>) adds to its forwarded
/// operation: the <c>Idempotency-Key</c> and <c>x-stainless-retry-count</c> headers it honours, the replay header on
/// its answer (and, on asynchronous job creations, the reuse header and <c>Cache-Control: no-cache</c>), and the 400,
/// 409 and 422 problems that only these routes give.
/// </summary>
internal static class CreationOperationDocumentation
{
    public static bool Creates(RouteConfig route) =>
        route.Metadata?.GetValueOrDefault(OwnershipRoute.MetadataKey) is { } name &&
        OwnershipRoute.Names.GetValueOrDefault(name) is OwnershipRole.CreatesJob or OwnershipRole.CreatesFile;

    public static void Apply(OpenApiOperation operation, DocumentFilterContext context, RouteConfig route)
    {
        // Reuse answers only asynchronous job creations: a synchronous answer is the whole result, which is not kept.
        var createsJob = OwnershipRoute.Names.GetValueOrDefault(route.Metadata![OwnershipRoute.MetadataKey]) == OwnershipRole.CreatesJob &&
            route.Match.Path?.EndsWith("_async", StringComparison.Ordinal) == true;
        operation.Description += " Safe to retry: a request repeating an earlier one (the same `Idempotency-Key`, or an SDK retry " +
            "with the same body) gets the earlier answer, marked `Idempotent-Replayed: true`, instead of a second job; a request " +
            "the gateway has sent is completed even if the caller hangs up.";
        operation.Parameters ??= [];
        operation.Parameters.Add(Header(CreationGate.IdempotencyKeyHeader,
            "Optional (draft-ietf-httpapi-idempotency-key-header). Your team's name for this request, e.g. a UUID, at most " +
            $"{CreationGate.MaxKeyLength} characters. The first answer (2xx) is replayed for the same key, route and body for " +
            "`Creations:IdempotencyTtl` (24 h); the same key with another route or body is 422. Never sent to Reducto.",
            new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = CreationGate.MaxKeyLength }));
        operation.Parameters.Add(Header(CreationGate.RetryCountHeader,
            "Sent by the official SDKs: the attempt number. An attempt of 1 or more with the same team, route and body as one " +
            "within `Creations:RetryWindow` (10 min) gets that one's answer (joining it while it runs) instead of creating again.",
            new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" }));
        if (createsJob)
        {
            operation.Description += " A team with `Teams:<team>:ReuseCompletedJobs` asking for the same document and output-affecting " +
                "options as a job it created and that Completed gets that job (`Gateway-Reused-Job`), at no cost; `Cache-Control: no-cache` " +
                "asks for a new one.";
            operation.Parameters.Add(Header("Cache-Control",
                "Optional. `no-cache` creates a new job even where the team's earlier Completed job of the same work could be reused.",
                new OpenApiSchema { Type = JsonSchemaType.String }));
        }

        var ok = operation.Responses![StatusCodes.Status200OK.ToString(CultureInfo.InvariantCulture)];
        if (ok is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[CreationReplay.ReplayedHeader] = new OpenApiHeader
            {
                Description = "`true` when the answer is an earlier request's, replayed; nothing was sent to Reducto. Absent otherwise.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
            if (createsJob)
            {
                response.Headers[JobReuse.ReusedHeader] = new OpenApiHeader
                {
                    Description = "For a team with `Teams:<team>:ReuseCompletedJobs`: the id of the team's earlier Completed job of the same " +
                        "document and output-affecting options, which this answer gives instead of a new job; nothing was sent to Reducto and " +
                        "no credits were spent. Absent otherwise.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }

        operation.Responses[StatusCodes.Status400BadRequest.ToString(CultureInfo.InvariantCulture)] =
            Problem("`idempotency-key-invalid`: more than one `Idempotency-Key`, or one longer than allowed.", context);
        operation.Responses[StatusCodes.Status409Conflict.ToString(CultureInfo.InvariantCulture)] =
            Problem("`creation-in-flight`: the request this one repeats is still running after `Creations:JoinWait` (1 min); " +
                "retry after `retry-after-ms` (the SDKs do) to receive its answer.", context);
        operation.Responses[StatusCodes.Status422UnprocessableEntity.ToString(CultureInfo.InvariantCulture)] =
            Problem("`idempotency-key-reused`: the key was first used for another route or body. Nothing was sent to Reducto.", context);
    }

    private static OpenApiParameter Header(string name, string description, OpenApiSchema schema) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = false,
        Description = description,
        Schema = schema,
    };

    private static OpenApiResponse Problem(string description, DocumentFilterContext context) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository) },
        },
    };
}
