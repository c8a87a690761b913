using Gateway.Usage;

namespace Gateway.Operations;

/// <summary>Turns the sampler's minutes into the per-team series <c>GET /admin/overview</c> answers.</summary>
internal static class OverviewBuilder
{
    public const string TotalName = "(all teams)";

    public static TeamSeries Team(string team, MinuteUsage[] minutes) =>
        Series(team, [.. minutes.Select(minute => minute.Teams.GetValueOrDefault(team))]);

    public static TeamSeries Total(MinuteUsage[] minutes) => Series(TotalName, [.. minutes.Select(static minute =>
    {
        var sum = new long[Enum.GetValues<UsageCounter>().Length];
        foreach (var counts in minute.Teams.Values)
        {
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += counts[i];
            }
        }

        return sum;
    })]);

    /// <param name="secondsIntoLastMinute">How far the current (last) minute has run, so its rate is not understated.</param>
    public static double[] PerSecond(long[] perMinute, double secondsIntoLastMinute) =>
        [.. perMinute.Select((count, i) => Math.Round(count / (i == perMinute.Length - 1 ? Math.Clamp(secondsIntoLastMinute, 1, 60) : 60), 3))];

    public static LatencySeries Latency(LatencyMinute[] minutes) => new(
        [.. minutes.Select(static m => Round(LatencyBuckets.Percentile(m.Hits, 0.5)))],
        [.. minutes.Select(static m => Round(LatencyBuckets.Percentile(m.Hits, 0.99)))],
        [.. minutes.Select(static m => Round(LatencyBuckets.Percentile(m.Misses, 0.5)))],
        [.. minutes.Select(static m => Round(LatencyBuckets.Percentile(m.Misses, 0.99)))]);

    private static TeamSeries Series(string team, long[]?[] minutes)
    {
        long[] Of(UsageCounter counter) => [.. minutes.Select(counts => counts?[(int)counter] ?? 0)];

        var requests = Of(UsageCounter.Requests);
        var hits = Of(UsageCounter.CacheHits);
        var sharedAnswers = Of(UsageCounter.SharedAnswers);
        return new TeamSeries(
            team,
            requests,
            hits,
            sharedAnswers,
            Of(UsageCounter.UpstreamCalls),
            [.. requests.Select((count, i) => count == 0 ? (double?)null : Math.Round((double)(hits[i] + sharedAnswers[i]) / count, 4))],
            new ThrottledSeries(Of(UsageCounter.ThrottledBudget), Of(UsageCounter.ThrottledTeamLimit), Of(UsageCounter.ThrottledQuota), Of(UsageCounter.ThrottledUpstream)),
            new CreationSeries(Of(UsageCounter.CreationsForwarded), Of(UsageCounter.CreationsReplayed), Of(UsageCounter.RetriesRecognised), Of(UsageCounter.CreationsReused)));
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 3) : null;
}
