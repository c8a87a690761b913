using Gateway.Usage;

namespace Gateway.Operations;

/// <summary>The history as the sampler last read it: the last hour's minutes, oldest first.</summary>
internal sealed record OperationsSnapshot(
    bool Shared, DateTimeOffset SampledAt, long LastMinute, MinuteUsage[] Usage, LatencyMinute[] Latency, WaitingCounts Waiting)
{
    private static readonly IReadOnlyDictionary<string, long[]> NoTeams = new Dictionary<string, long[]>();

    public static OperationsSnapshot Empty(DateTimeOffset now)
    {
        var last = now.ToUnixTimeSeconds() / 60;
        var minutes = Enumerable.Range(0, LatencyLedger.Minutes).Select(i => last - LatencyLedger.Minutes + 1 + i).ToArray();
        return new OperationsSnapshot(false, now, last, [.. minutes.Select(static m => new MinuteUsage(m, NoTeams))],
            [.. minutes.Select(LatencyMinute.Empty)], default);
    }
}
