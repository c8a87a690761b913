using System.Diagnostics.Metrics;
using Gateway.Telemetry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// What an operator reads about stale running answers: how old each was when served
/// (<c>gateway.stale.answer.age</c>) and how many refreshes behind them are still running
/// (<c>gateway.stale.refreshes.in_flight</c>). Same fake clock and one-slot budget as <see cref="StaleRunningAnswerTests"/>.
/// </summary>
public sealed class StaleAnswerMetricsTests(RedisServer redis) : GatewayTest
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override TimeProvider? Time => _clock;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:03",
        ["Upstream:JobPollsPerSecond"] = "2",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task StaleAnswers_RecordTheirAge_AndOneRefreshIsInFlightUntilTheUpstreamAnswers()
    {
        // This gateway's own meter factory: other gateways alive in the test process publish meters of the same name.
        var meters = Gateway.Services.GetRequiredService<IMeterFactory>();
        using var ages = new MetricCollector<double>(meters, GatewayMetrics.MeterName, "gateway.stale.answer.age");
        using var refreshes = new MetricCollector<long>(meters, GatewayMetrics.MeterName, "gateway.stale.refreshes.in_flight");
        long InFlight() => refreshes.GetMeasurementSnapshot().Sum(static m => m.Value);

        var job = NewId("pending-");
        (await GetJobAsync(job)).Dispose();
        _clock.Advance(TimeSpan.FromMilliseconds(3500));
        (await GetJobAsync(NewId("pending-"))).Dispose();

        // Two stale answers while the budget stays empty: the second joins the first one's refresh.
        using var first = await GetJobAsync(job);
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        using var second = await GetJobAsync(job);
        Assert.All([first, second], r => Assert.StartsWith("Gateway; hit; fwd=stale;", r.Header("Cache-Status"), StringComparison.Ordinal));

        Assert.Equal([3.5, 3.7], ages.GetMeasurementSnapshot().Select(static m => Math.Round(m.Value, 3)));
        Assert.All(ages.GetMeasurementSnapshot(), static m => Assert.True(m.Tags.ContainsKey("team")));
        Assert.Equal(1, InFlight());

        // The next slot lets the refresh read the job; it then leaves the gauge.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => Upstream.Requests.CountForJob(job) == 2);
        await Eventually.Until(() => InFlight() == 0);
        Assert.Equal(1, refreshes.GetMeasurementSnapshot().Count(static m => m.Value == 1));
    }
}
