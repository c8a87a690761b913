using System.Text.Json;

namespace CompletionPoll;

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}

/// <summary>One tracked job; times are Unix ms, or ms after the stand-in's completion of the job.</summary>
internal sealed record JobResult(
    string Id,
    bool Hooked,
    int Target,
    long? CompletesAt,
    long? FirstPollAt,
    long? FirstAnswerAt,
    double? SeenMs,
    double? NotifiedMs,
    int? RelayStatus,
    int Polls,
    int ProbePolls,
    int Refusals,
    int Errors);

/// <summary>How long after completion the jobs of one variant were first seen Completed (nearest-rank percentiles).</summary>
internal sealed record Summary(int Jobs, int Seen, double? P50Ms, double? P99Ms, double? MaxMs)
{
    public static Summary Of(IEnumerable<JobResult> results)
    {
        var all = results.ToArray();
        var seen = all.Where(static r => r.SeenMs is not null).Select(static r => r.SeenMs!.Value).Order().ToArray();
        double? Rank(double q) => seen.Length == 0 ? null : seen[Math.Max(0, (int)Math.Ceiling(q * seen.Length) - 1)];
        return new Summary(all.Length, seen.Length, Rank(0.5), Rank(0.99), seen.Length == 0 ? null : seen[^1]);
    }

    public override string ToString() =>
        Jobs == 0 ? "none" : $"{Seen} of {Jobs} seen, p50 {P50Ms:0} ms, p99 {P99Ms:0} ms, max {MaxMs:0} ms";
}

internal sealed record RunResult(
    string Tag, double EveryMs, double ProbeMs, long StartedAt, Summary Plain, Summary Hooked, JobResult[] Jobs);
