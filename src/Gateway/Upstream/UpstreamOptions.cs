using System.ComponentModel.DataAnnotations;

namespace Gateway.Upstream;

/// <summary>Where Reducto is and how the gateway talks to it.</summary>
public sealed class UpstreamOptions
{
    public const string SectionName = "Upstream";

    /// <summary>The environment variable the official SDKs read; used when <see cref="ApiKey"/> is not set.</summary>
    public const string ApiKeyEnvironmentVariable = "REDUCTO_API_KEY";

    /// <summary>Reducto's base address. Regional hosts (eu., au.) or a stand-in work the same way.</summary>
    [Required]
    public Uri BaseUrl { get; set; } = new("https://platform.reducto.ai");

    /// <summary>The server-side Reducto key. Required outside Development; never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one upstream call may take, headers and body; past it the caller gets 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:15:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The <c>retry-after-ms</c> added to an upstream 429 that carries no hint of its own (Reducto sends none).
    /// Hints the upstream does send are honoured but never passed on above 60 s, because the Node SDK has no cap.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ThrottledRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Retries of a <c>GET /job</c> that failed to connect, timed out, or got 502/503/504, with jittered exponential
    /// backoff, all inside <see cref="Timeout"/>. Other methods are never retried.
    /// </summary>
    [Range(0, 5)]
    public int Retries { get; set; } = 2;

    /// <summary>How long one attempt may wait for response headers before it counts as failed (and may be retried).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:15:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The circuit opens when at least <see cref="CircuitMinimumThroughput"/> calls in <see cref="CircuitSamplingDuration"/>
    /// failed at <see cref="CircuitFailureRatio"/> or more; while open, calls fail at once with 503 for this long.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    [Range(2, 10_000)]
    public int CircuitMinimumThroughput { get; set; } = 20;

    [Range(0.01, 1.0)]
    public double CircuitFailureRatio { get; set; } = 0.5;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Upstream <c>GET /job</c> calls per second for the whole gateway (Reducto allows 200 per key). Cache hits do not
    /// count. Teams waiting for a slot are served in turn, so one team's polling loop cannot starve the others.
    /// </summary>
    [Range(2, 100_000)]
    public int JobPollsPerSecond { get; set; } = 150;

    /// <summary>Upstream calls of any kind per second for the whole gateway (Reducto allows 1,000 per key).</summary>
    [Range(2, 100_000)]
    public int RequestsPerSecond { get; set; } = 800;

    /// <summary>How long a call may wait for a slot in the budget before the caller gets 429 with <c>retry-after-ms</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan BudgetWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest upstream body the gateway will hold; a larger one is answered with 502 and not cached.</summary>
    [Range(1024, 1L << 30)]
    public long MaxResponseBytes { get; set; } = 64L << 20;
}
