using System.Globalization;
using Gateway.Jobs;
using Gateway.OpenApi.Schemas;
using Gateway.Problems;
using Gateway.Upstream;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// The OpenAPI description of <c>GET /job/{job_id}</c>. The handler returns Reducto's bytes through a custom
/// <see cref="IResult"/>, so ApiExplorer learns every outcome from the metadata added here.
/// </summary>
internal static class JobOperationDocumentation
{
    private const string Json = "application/json";
    private const string ProblemJson = "application/problem+json";
    private const string PassedThrough = "passed through byte for byte from Reducto";
    private const string JobIdParameter = "job_id";

    public static RouteHandlerBuilder WithJobDocumentation(this RouteHandlerBuilder builder) => builder
        .WithMetadata(
            Response<JobResponse>(StatusCodes.Status200OK, Json,
                "The job, " + PassedThrough + ". Completed and Failed jobs may come from the gateway's cache, a running job's latest answer " +
                "from the window every plain poll shares (see Cache-Status, Age and Retry-After)."),
            Response(StatusCodes.Status304NotModified, typeof(void), null,
                "If-None-Match matched the ETag of a Completed or Failed job; no body."),
            Response<ProblemDetails>(StatusCodes.Status400BadRequest, ProblemJson,
                "The job id is not valid; Reducto was not called. " + JobId.Rule),
            Response<ReductoErrorBody>(StatusCodes.Status404NotFound, Json, "Unknown job id, " + PassedThrough + "."),
            Response<ReductoErrorBody>(StatusCodes.Status409Conflict, Json, "The job is being deleted, " + PassedThrough + "."),
            Response<ReductoErrorBody>(StatusCodes.Status410Gone, Json, "The job was deleted, " + PassedThrough + "."),
            Response<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, ProblemJson,
                "The request declared a body; this endpoint takes none."),
            Response<HttpValidationError>(StatusCodes.Status422UnprocessableEntity, Json, "Validation error, " + PassedThrough + "."),
            Response<RateLimitError>(StatusCodes.Status429TooManyRequests, Json,
                "Reducto's rate limit, " + PassedThrough + ". The gateway adds retry-after-ms."),
            Response<ReductoErrorBody>(StatusCodes.Status500InternalServerError, Json, "Reducto failed, " + PassedThrough + "."),
            Response<ProblemDetails>(StatusCodes.Status502BadGateway, ProblemJson,
                "As application/problem+json: the gateway could not reach Reducto (x-should-retry: true), or Reducto " +
                "rejected the gateway's server key or sent a response too large to forward (x-should-retry: false). " +
                "As application/json: Reducto's own 502, " + PassedThrough + "."),
            Response<ReductoErrorBody>(StatusCodes.Status503ServiceUnavailable, Json,
                "As application/json: Reducto is overloaded, " + PassedThrough + ". As application/problem+json: after " +
                "repeated upstream failures the gateway stopped calling Reducto for a moment (see retry-after-ms); " +
                "cached jobs are still served."),
            Response<ProblemDetails>(StatusCodes.Status504GatewayTimeout, ProblemJson,
                "Reducto did not answer within the gateway's upstream timeout."),
            new OperationTransformer(Describe));

    private static ProducesResponseTypeMetadata Response<T>(int status, string contentType, string description) =>
        Response(status, typeof(T), contentType, description);

    private static ProducesResponseTypeMetadata Response(int status, Type? type, string? contentType, string description) =>
        new(status, type, contentType is null ? [] : [contentType]) { Description = description };

    private static void Describe(OpenApiOperation operation, OperationFilterContext context)
    {
        DescribeJobId(operation);
        operation.Parameters ??= [];
        if (!operation.Parameters.Any(p => p.Name == HeaderNames.IfNoneMatch))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = HeaderNames.IfNoneMatch,
                In = ParameterLocation.Header,
                Required = false,
                Description = "An ETag from an earlier response for this job. A matching Completed or Failed job answers 304 with no body.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        if (!operation.Parameters.Any(p => p.Name == "Prefer"))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Prefer",
                In = ParameterLocation.Header,
                Required = false,
                Description = "RFC 7240 `wait=N`: hold the request until the job is Completed or Failed, or for N seconds (capped by the " +
                    "gateway's Jobs:MaxWait), then answer with the latest state. All waiters share one upstream watcher.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Example = System.Text.Json.Nodes.JsonValue.Create("wait=30") },
            });
        }

        AlsoProduces<ReductoErrorBody>(operation, context, StatusCodes.Status502BadGateway, Json);
        AlsoProduces<ProblemDetails>(operation, context, StatusCodes.Status503ServiceUnavailable, ProblemJson);
        DescribeHeaders(operation);
    }

    // Metadata allows one body type per status; 502 and 503 each have two: Reducto's own, passed through, and the
    // gateway's problem.
    private static void AlsoProduces<T>(OpenApiOperation operation, OperationFilterContext context, int status, string contentType)
    {
        var code = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses?.GetValueOrDefault(code) is OpenApiResponse response)
        {
            response.Content ??= new Dictionary<string, OpenApiMediaType>();
            response.Content[contentType] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(typeof(T), context.SchemaRepository) };
        }
    }

    private static void DescribeJobId(OpenApiOperation operation)
    {
        var jobId = operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == JobIdParameter);
        if (jobId is null)
        {
            return;
        }

        jobId.Description = "Reducto's job id, as returned by the *_async endpoints (a UUID in practice).";
        jobId.Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Pattern = JobId.Pattern,
            MinLength = 1,
            MaxLength = JobId.MaxLength,
        };
    }

    private static void DescribeHeaders(OpenApiOperation operation)
    {
        foreach (var (code, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse concrete)
            {
                continue;
            }

            var status = int.Parse(code, CultureInfo.InvariantCulture);
            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            // The two answers given before the handler reads the job carry no cache status.
            if (status is not (StatusCodes.Status401Unauthorized or StatusCodes.Status413PayloadTooLarge))
            {
                concrete.Headers[CacheStatusHeader.Name] = StringHeader(
                    "RFC 9211 cache status, e.g. `Gateway; hit`, `Gateway; fwd=uri-miss; stored`, `Gateway; fwd=uri-miss; collapsed`, " +
                    "and `Gateway; hit; ttl=<ms left>` for a running job's shared answer.");
            }

            switch (status)
            {
                case StatusCodes.Status200OK:
                    concrete.Headers[HeaderNames.ETag] = StringHeader("Strong ETag of the body; sent for Completed and Failed jobs only.");
                    concrete.Headers[HeaderNames.CacheControl] = StringHeader("`no-store` while the job is still running (no ETag).");
                    concrete.Headers["Preference-Applied"] = StringHeader("`wait=N` when a `Prefer: wait` was honoured, with the wait actually granted.");
                    concrete.Headers[HeaderNames.Age] = StringHeader("On a running job's shared answer: whole seconds since Reducto gave it.");
                    concrete.Headers[HeaderNames.RetryAfter] = StringHeader("On a running job: whole seconds (at least 1) until a newer answer can exist.");
                    break;
                case StatusCodes.Status304NotModified:
                    concrete.Headers[HeaderNames.ETag] = StringHeader("The job's ETag, unchanged.");
                    break;
                case StatusCodes.Status429TooManyRequests:
                    concrete.Headers[RetryAfterHint.MillisecondsHeader] = StringHeader("Milliseconds to wait before retrying, as the official SDKs read it.");
                    break;
                case StatusCodes.Status503ServiceUnavailable:
                    concrete.Headers[RetryAfterHint.MillisecondsHeader] = StringHeader("On the gateway's own 503: milliseconds until it calls Reducto again.");
                    concrete.Headers[GatewayProblems.ShouldRetryHeader] = ShouldRetry;
                    break;
                case StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge or StatusCodes.Status502BadGateway
                    or StatusCodes.Status504GatewayTimeout:
                    concrete.Headers[GatewayProblems.ShouldRetryHeader] = ShouldRetry;
                    break;
            }
        }
    }

    private static OpenApiHeader ShouldRetry => StringHeader(
        "On problems the gateway makes itself: `true` when retrying later may succeed, `false` when it cannot. The official SDKs obey it.");

    private static OpenApiHeader StringHeader(string description) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
