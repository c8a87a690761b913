namespace Reducto.StandIn;

/// <summary>How the stand-in behaves; bound from the "StandIn" section when run as a program.</summary>
public sealed class StandInOptions
{
    public const string SectionName = "StandIn";

    /// <summary>The bearer token it accepts. Null or empty accepts any token (but a missing header is still refused).</summary>
    public string? ApiKey { get; set; } = "stand-in-key";

    /// <summary>Added before every <c>/job</c> answer, to model a remote vendor.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Added before the answer of every creation (the <c>*_async</c> routes, the synchronous ones and
    /// <c>POST /upload</c>), after the job or file is created; a request's <c>x-standin-delay-ms</c> header overrides it.
    /// A caller that hangs up while waiting has still created the job.
    /// </summary>
    public TimeSpan CreationLatency { get; set; } = TimeSpan.Zero;

    /// <summary>How long a job created through <c>POST /parse_async</c> stays Pending.</summary>
    public TimeSpan PendingFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where to send Reducto's direct webhook when an <c>after-Ns-*</c> job turns Completed: one POST per job, at that
    /// moment. Null sends none. A failed delivery is logged and not retried.
    /// </summary>
    public Uri? WebhookUrl { get; set; }
}
