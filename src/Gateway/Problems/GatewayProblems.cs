using Gateway.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Problems;

/// <summary>
/// Errors the gateway makes itself, as RFC 9457 problem details, for every feature (jobs, forwarding, teams,
/// webhooks, the admin endpoints, key refusals): one list of types, one way to set the retry hints. Each sets
/// <c>x-should-retry</c>, which the official SDKs obey, so callers retry what can succeed later and stop at once on
/// what cannot.
/// </summary>
internal static class GatewayProblems
{
    public const string ShouldRetryHeader = "x-should-retry";
    // Not dereferenceable on purpose: a URN names the problem without promising a documentation host.
    public const string TypeBase = "urn:gateway:problem:";

    public static ProblemHttpResult InvalidJobId(HttpContext context) =>
        Create(context, StatusCodes.Status400BadRequest, "invalid-job-id", "Invalid job id", JobId.Rule, retry: false,
            new Dictionary<string, object?> { ["pattern"] = JobId.Pattern });

    public static ProblemHttpResult BodyTooLarge(HttpContext context, long limit) =>
        Create(context, StatusCodes.Status413PayloadTooLarge, "request-body-too-large", "Request body too large",
            $"GET /job/{{job_id}} takes no body; at most {limit} bytes are tolerated.", retry: false);

    public static ProblemHttpResult UpstreamUnreachable(HttpContext context, bool retry = true) =>
        Create(context, StatusCodes.Status502BadGateway, "upstream-unreachable", "Upstream unreachable",
            "The gateway could not reach Reducto, or the connection broke before the answer was complete.", retry);

    public static ProblemHttpResult UpstreamTimeout(HttpContext context, bool retry = true) =>
        Create(context, StatusCodes.Status504GatewayTimeout, "upstream-timeout", "Upstream timeout",
            "Reducto did not answer within the gateway's upstream timeout.", retry);

    public static ProblemHttpResult UpstreamAuthRejected(HttpContext context) =>
        Create(context, StatusCodes.Status502BadGateway, "upstream-auth-rejected", "Upstream rejected the gateway's credentials",
            "Reducto refused the gateway's server key. This is a gateway misconfiguration that the caller cannot fix; the operators have been alerted in the gateway's log.",
            retry: false);

    public static ProblemHttpResult UpstreamCircuitOpen(HttpContext context, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        return Create(context, StatusCodes.Status503ServiceUnavailable, "upstream-circuit-open", "Upstream temporarily unavailable",
            "Recent calls to Reducto kept failing, so the gateway is not calling it for a short while. Cached jobs are still served.",
            retry: true);
    }

    public static ProblemHttpResult BudgetExhausted(HttpContext context, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        Usage.ThrottleCause.Set(context, Usage.UsageCounter.ThrottledBudget);
        return Create(context, StatusCodes.Status429TooManyRequests, "upstream-budget-exhausted", "Upstream budget exhausted",
            "The gateway's share of Reducto's rate limit is in use; your team's requests are served in turn. Retry after the hinted delay.",
            retry: true);
    }

    public static ProblemHttpResult TeamLimitReached(HttpContext context, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        Usage.ThrottleCause.Set(context, Usage.UsageCounter.ThrottledTeamLimit);
        return Create(context, StatusCodes.Status429TooManyRequests, "team-limit-reached", "Team request limit reached",
            "Your team's configured requests-per-second ceiling is reached. Retry after the hinted delay.", retry: true);
    }

    /// <summary>
    /// The team's daily quota is used up: 429 with <c>Retry-After</c> until the reset at 00:00 UTC and
    /// <c>x-should-retry: false</c>, since the SDKs' own retries would only spend their backoff running into it.
    /// </summary>
    public static ProblemHttpResult QuotaExceeded(HttpContext context, string team, Teams.QuotaView? quota)
    {
        Usage.ThrottleCause.Set(context, Usage.UsageCounter.ThrottledQuota);
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var resetsAt = quota?.ResetsAt ?? Teams.TeamQuotas.ResetAfter(now);
        var wait = resetsAt - now;
        context.Response.Headers.RetryAfter = Math.Max((long)Math.Ceiling(wait.TotalSeconds), 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(context, StatusCodes.Status429TooManyRequests, "quota-exceeded", "Daily quota of upstream calls used up",
            $"Team {team} has made its {quota?.Limit} upstream calls for today (Teams:{team}:UpstreamCallsPerDay); the quota resets at " +
            $"{resetsAt:yyyy-MM-ddTHH:mm:ssZ}. Cached jobs are still served.", retry: false,
            new Dictionary<string, object?> { ["quota"] = quota?.Limit, ["resetsAt"] = resetsAt });
    }

    /// <summary>
    /// The team's credits for the month are used up: 429 with <c>Retry-After</c> until 00:00 UTC on the 1st and
    /// <c>x-should-retry: false</c>. Nothing was sent to Reducto; reading jobs still works.
    /// </summary>
    public static ProblemHttpResult CreditBudgetExceeded(HttpContext context, string team, decimal used, decimal budget, DateTimeOffset resetsAt)
    {
        var wait = resetsAt - context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        context.Response.Headers.RetryAfter = Math.Max((long)Math.Ceiling(wait.TotalSeconds), 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(context, StatusCodes.Status429TooManyRequests, "credit-budget-exceeded", "Monthly credit budget used up",
            $"Team {team} has used {used} of its {budget} credits for this month (Teams:{team}:CreditsPerMonth); new jobs are refused until " +
            $"{resetsAt:yyyy-MM-ddTHH:mm:ssZ}. Nothing was sent to Reducto; reading jobs still works.", retry: false,
            new Dictionary<string, object?> { ["creditsPerMonth"] = budget, ["used"] = used, ["resetsAt"] = resetsAt });
    }

    public static ProblemHttpResult InvalidMonth(HttpContext context) =>
        Create(context, StatusCodes.Status400BadRequest, "invalid-month", "Invalid month",
            "month must be a UTC month written YYYY-MM, such as 2026-12.", retry: false);

    public static ProblemHttpResult CacheUnavailable(HttpContext context) =>
        Create(context, StatusCodes.Status503ServiceUnavailable, "cache-unavailable", "Cache unavailable",
            "The cache did not answer, so the entry could not be removed. Retry once the cache is back.", retry: true);

    public static ProblemHttpResult UpstreamTooLarge(HttpContext context) =>
        Create(context, StatusCodes.Status502BadGateway, "upstream-response-too-large", "Upstream response too large",
            "Reducto's response exceeds the gateway's Upstream:MaxResponseBytes limit.", retry: false);

    public static ProblemHttpResult WebhookRejected(HttpContext context) =>
        Create(context, StatusCodes.Status401Unauthorized, "webhook-rejected", "Webhook delivery rejected",
            "The delivery carried neither the configured secret nor a valid, recent Svix signature. Nothing was changed.", retry: false);

    public static ProblemHttpResult WebhookUnreadable(HttpContext context, string detail) =>
        Create(context, StatusCodes.Status400BadRequest, "webhook-unreadable", "Webhook body not understood", detail, retry: false);

    public static ProblemHttpResult WebhookTooLarge(HttpContext context, long limit) =>
        Create(context, StatusCodes.Status413PayloadTooLarge, "request-body-too-large", "Request body too large",
            $"A webhook notification carries a status and a job id; at most {limit} bytes are accepted.", retry: false);

    /// <summary>
    /// An id in the path or body that this team may not use: another team's, or one the ledger does not know. Both
    /// get this same answer, so it says nothing about whether the id exists. Nothing was sent upstream.
    /// </summary>
    public static ProblemHttpResult NotOwned(HttpContext context, string field, Ownership.OwnedKind kind) =>
        Create(context, StatusCodes.Status404NotFound, "not-owned", kind == Ownership.OwnedKind.Job ? "Unknown job" : "Unknown file",
            $"{field} names a {(kind == Ownership.OwnedKind.Job ? "job" : "file")} that your team did not create through this gateway, or that does not exist. Nothing was sent to Reducto.",
            retry: false, new Dictionary<string, object?> { ["field"] = field });

    public static ProblemHttpResult CreationBodyUnreadable(HttpContext context) =>
        Create(context, StatusCodes.Status400BadRequest, "body-not-json", "Request body is not JSON",
            "A job-creating request's body must be one JSON document: the gateway checks every file and job it references before anything is sent to Reducto.",
            retry: false);

    public static ProblemHttpResult CreationBodyTooLarge(HttpContext context, long limit) =>
        Create(context, StatusCodes.Status413PayloadTooLarge, "request-body-too-large", "Request body too large",
            $"A job-creating request's JSON body may be at most {limit} bytes; upload documents with POST /upload and reference them.", retry: false);

    public static ProblemHttpResult EncodedBody(HttpContext context) =>
        Create(context, StatusCodes.Status415UnsupportedMediaType, "body-encoded", "Encoded request bodies are not accepted",
            "Send a job-creating request's body without Content-Encoding: the gateway checks the documents it references before anything is sent to Reducto.",
            retry: false);

    public static ProblemHttpResult IdempotencyKeyInvalid(HttpContext context, int maxLength) =>
        Create(context, StatusCodes.Status400BadRequest, "idempotency-key-invalid", "Invalid Idempotency-Key",
            $"Send one Idempotency-Key header of 1 to {maxLength} characters (a UUID is best). Nothing was sent to Reducto.", retry: false);

    /// <summary>The draft's 422: a key already used for a request with another route or body. Nothing was sent upstream.</summary>
    public static ProblemHttpResult IdempotencyKeyReused(HttpContext context) =>
        Create(context, StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused for another request",
            "This Idempotency-Key was first used for a request with another route or body. Use a new key for a new request. Nothing was sent to Reducto.",
            retry: false);

    /// <summary>
    /// The draft's 409: the request this one repeats is still running after the join wait. The SDKs retry 409 (after
    /// <c>retry-after-ms</c>), and the retry gets the first request's answer once it is in.
    /// </summary>
    public static ProblemHttpResult CreationInFlight(HttpContext context)
    {
        SetRetryAfter(context, TimeSpan.FromSeconds(1));
        return Create(context, StatusCodes.Status409Conflict, "creation-in-flight", "The same creation is still in flight",
            "An earlier attempt of this request (same Idempotency-Key, or the same body retried by the SDK) is still waiting for Reducto. Retry shortly to receive its answer; nothing new was sent to Reducto.",
            retry: true);
    }

    public static ProblemHttpResult AdminOnly(HttpContext context) =>
        Create(context, StatusCodes.Status403Forbidden, "admin-only", "Only the gateway's operators may do this",
            "POST /configure_webhook changes where Reducto sends every team's notices, the gateway's own included; it takes the admin key.",
            retry: false);

    public static void SetRetryAfter(HttpContext context, TimeSpan retryAfter) =>
        context.Response.Headers[Upstream.RetryAfterHint.MillisecondsHeader] =
            ((long)retryAfter.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static ProblemHttpResult Create(
        HttpContext context, int status, string code, string title, string detail, bool retry, IDictionary<string, object?>? extensions = null)
    {
        context.Response.Headers[ShouldRetryHeader] = retry ? "true" : "false";
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypeBase + code, extensions: extensions);
    }
}
