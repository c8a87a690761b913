using Gateway.Operations;
using Gateway.Usage;

namespace Gateway.Telemetry;

/// <summary>How a job read was served: the one typed fact that telemetry reads, never the <c>Cache-Status</c> text.</summary>
internal enum Served
{
    /// <summary>Anything but the two below: the upstream's answer, a refusal, a failure.</summary>
    Other,

    /// <summary>A terminal job from the cache (a 304 on its ETag included).</summary>
    Hit,

    /// <summary>A running job's answer another read fetched, shared within its window.</summary>
    Shared,
}

/// <summary>
/// How the job read now ending was served, set on the request by whoever answered it. One instance per outcome,
/// shared by every request, so setting it allocates nothing.
/// </summary>
internal sealed class ServedFeature
{
    public static readonly ServedFeature Hit = new(Served.Hit);
    public static readonly ServedFeature Shared = new(Served.Shared);
    public static readonly ServedFeature Other = new(Served.Other);

    private ServedFeature(Served served) => Served = served;

    public Served Served { get; }

    public static ServedFeature For(Served served) => served switch
    {
        Served.Hit => Hit,
        Served.Shared => Shared,
        _ => Other,
    };
}

/// <summary>What happened to one answered request, whichever path answered it: the record every count is made from.</summary>
/// <param name="Direct">Answered on the socket below Kestrel's HTTP layer.</param>
internal readonly record struct AnsweredRequest(
    string Team, string Route, int StatusCode, Served Served, long? Bytes, UsageCounter? Throttled, TimeSpan Elapsed, bool Direct = false);

/// <summary>
/// Counts an answered request in the metrics, the usage ledger and the latency ledger, the same way for the pipeline
/// (<see cref="TelemetryExtensions.UseUsageMetrics"/>) and the direct path, so a count added here covers both.
/// </summary>
internal sealed class RequestAccounting(GatewayMetrics metrics, UsageLedger usage, LatencyLedger latency)
{
    public void Count(in AnsweredRequest request)
    {
        var hit = request.Served == Served.Hit;
        var shared = request.Served == Served.Shared;
        metrics.Answered(request.Team, request.Route, request.StatusCode, hit, shared, request.Bytes, request.Throttled, request.Direct);
        usage.CountAnswer(request.Team, hit ? UsageCounter.CacheHits : shared ? UsageCounter.SharedAnswers : null, request.Throttled);

        // Job reads only: forwarded calls (uploads, parses) take as long as Reducto does and would drown the
        // misses; a 429 is answered at once and has its own chart.
        if (request.Route == TelemetryExtensions.JobRoute && request.Throttled is null)
        {
            latency.Record(hit || shared, request.Elapsed);
        }
    }
}
