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

    /// <summary>Largest upstream body the gateway will hold; a larger one is answered with 502 and not cached.</summary>
    [Range(1024, 1L << 30)]
    public long MaxResponseBytes { get; set; } = 64L << 20;
}
