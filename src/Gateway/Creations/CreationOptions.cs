using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Creations;

/// <summary>
/// How long the gateway remembers a job creation's answer, so that a retry of it (the SDKs' own, or one carrying an
/// <c>Idempotency-Key</c>) gets that answer instead of creating, and paying for, a second job.
/// </summary>
public sealed class CreationOptions
{
    public const string SectionName = "Creations";

    /// <summary>
    /// How long after a creation answered an SDK retry of it (<c>x-stainless-retry-count</c> ≥ 1, same team, route and
    /// body) still gets its answer. The SDKs back off at most 8 s between attempts (plus a <c>retry-after-ms</c> the
    /// gateway sent) and retry twice by default, so a retry comes within a minute of the attempt before it; 10 minutes
    /// covers long <c>timeout</c>s and larger <c>maxRetries</c>. Longer would hand a deliberate second run of the same
    /// document with a retry count (a new client whose first attempt failed before the gateway) an old job.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the answer of a creation that carried an <c>Idempotency-Key</c> is replayed for that key. The draft
    /// leaves it to the server; 24 hours matches Reducto's own retention of jobs, past which the job id it names is gone.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan IdempotencyTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a retry waits for the attempt it repeats, still in flight, before it is answered <c>409</c> (with
    /// <c>retry-after-ms</c>, which the SDKs retry). Waiting costs no upstream call; the bound keeps a creation whose
    /// replica died from holding its retries for the whole <see cref="InFlightLease"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:15:00")]
    public TimeSpan JoinWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a creation in flight is known as such in Redis: longer than the forwarder's own limit
    /// (<c>ReverseProxy:Clusters:reducto:HttpRequest:ActivityTimeout</c>, 16 min), so a running creation is never
    /// forgotten; a replica that dies mid-creation leaves a mark that lapses after it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan InFlightLease { get; set; } = TimeSpan.FromMinutes(17);

    /// <summary>
    /// The largest answer kept for replay (an async creation's <c>{"job_id":…}</c> is tens of bytes; a synchronous
    /// <c>/parse</c> can be megabytes). A larger answer is passed on but not kept: its retry creates again.
    /// </summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public int MaxAnswerBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The body bytes of answers each replica keeps in memory (its own, to replay without Redis or while Redis is away);
    /// past it the answers closest to expiry are forgotten first.
    /// </summary>
    [Range(1_024 * 1024, 4L * 1024 * 1024 * 1024)]
    public long LocalBytes { get; set; } = 64 * 1024 * 1024;
}

[OptionsValidator]
internal sealed partial class CreationOptionsValidator : IValidateOptions<CreationOptions>;
