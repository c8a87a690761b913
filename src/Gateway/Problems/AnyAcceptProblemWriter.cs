using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Gateway.Problems;

/// <summary>
/// Writes problem details whatever the request's <c>Accept</c> says. The platform's writer declines unless the caller
/// accepts JSON, and then <see cref="IProblemDetailsService.WriteAsync"/> throws (a 500 for a browser tab asking for
/// <c>text/html</c>) while the status-code pages fall back to plain text. A gateway's errors are for programs: the
/// status and an RFC 9457 body are what every caller gets, and a 406 would tell it less. Registered after the
/// platform's writer, so callers that accept JSON get exactly the bytes they got before.
/// </summary>
internal sealed class AnyAcceptProblemWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        // The problem result fills in type and title from the status exactly as the platform's writer does.
        _ = TypedResults.Problem(context.ProblemDetails);
        context.ProblemDetails.Status ??= response.StatusCode;
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(response.WriteAsJsonAsync(
            context.ProblemDetails, context.ProblemDetails.GetType(), json.Value.SerializerOptions, ProblemContentType));
    }

    public const string ProblemContentType = "application/problem+json";
}
