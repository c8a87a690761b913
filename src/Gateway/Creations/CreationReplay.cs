namespace Gateway.Creations;

/// <summary>An earlier attempt's answer, sent again: its status, content type and bytes, marked as a replay.</summary>
internal sealed class CreationReplay(StoredAnswer answer) : IResult
{
    /// <summary>Says that the answer is an earlier request's (the Idempotency-Key draft's suggestion, as Stripe sends it).</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = answer.Status;
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Body.Length;
        response.Headers[ReplayedHeader] = "true";
        await response.Body.WriteAsync(answer.Body, httpContext.RequestAborted);
    }
}
