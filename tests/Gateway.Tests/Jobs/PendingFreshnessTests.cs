using System.Net;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// <c>Jobs:PendingFreshness</c>: a running job's 200 is shared by plain reads for the window, counted on the gateway's
/// clock from the upstream's answer. Driven by a fake clock; nothing here sleeps.
/// </summary>
public sealed class PendingFreshnessTests(RedisServer redis) : GatewayTest
{

    // Well inside the window, long enough for the budget to grant another upstream call.
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override TimeProvider? Time => _clock;

    // Three seconds, so Age (whole seconds) can be seen above zero. The upstream budget refills on this clock too, so
    // tests that ask the upstream several times move it on a little between reads (ReadLaterAsync).
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:03",
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,

        // Retries wait on this clock too; every read here is meant to reach the upstream once.
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task ARunningAnswer_IsSharedUntilItsWindowEnds_ToTheMillisecond()
    {
        var id = NewId("pending-");
        var (first, sent) = await ReadAsync(id);
        Assert.Equal("Gateway; fwd=uri-miss", first.Header("Cache-Status"));
        Assert.Equal(TimeSpan.FromSeconds(3), first.Headers.RetryAfter?.Delta);
        Assert.Null(first.Headers.Age);
        Assert.Equal("no-store", first.Headers.CacheControl?.ToString());

        _clock.Advance(TimeSpan.FromMilliseconds(2500));
        var (shared, body) = await ReadAsync(id);
        Assert.Equal("Gateway; hit; ttl=500", shared.Header("Cache-Status"));
        Assert.Equal(TimeSpan.FromSeconds(2), shared.Headers.Age);
        Assert.Equal(TimeSpan.FromSeconds(1), shared.Headers.RetryAfter?.Delta);
        Assert.Equal("no-store", shared.Headers.CacheControl?.ToString());
        Assert.Equal(sent, body);

        _clock.Advance(TimeSpan.FromMilliseconds(499));
        var (last, _) = await ReadAsync(id);
        Assert.Equal("Gateway; hit; ttl=1", last.Header("Cache-Status"));
        Assert.Equal(1, Upstream.Requests.CountForJob(id));

        // Not whole seconds, as nginx counts: the window ends exactly three seconds after the upstream answered.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var (refreshed, _) = await ReadAsync(id);
        Assert.Equal("Gateway; fwd=uri-miss", refreshed.Header("Cache-Status"));
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData("status-404-")]
    [InlineData("status-429-")]
    [InlineData("status-500-")]
    [InlineData("status-503-")]
    public async Task AnErrorAnswer_IsNeverShared_EachReadAsksTheUpstream(string prefix)
    {
        var id = NewId(prefix);
        var asked = 0;
        for (var i = 0; i < 3; i++)
        {
            var (response, _) = await ReadLaterAsync(id);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("ttl=", response.Header("Cache-Status") ?? string.Empty, StringComparison.Ordinal);
            Assert.Null(response.Headers.Age);

            Assert.Equal(++asked, Upstream.Requests.CountForJob(id));
        }
    }

    [Fact]
    public async Task ATerminalAnswer_IsAlwaysServedBeforeARunningOne()
    {
        var id = NewId("scripted-");
        Upstream.Script.Respond(id, 200, $$"""{"job_id":"{{id}}","status":"Pending"}""");
        await ReadAsync(id);

        // A watcher's poll skips the shared answer, finds the job finished and stores it: plain reads see that at once.
        Upstream.Script.Respond(id, 200, $$$"""{"job_id":"{{{id}}}","status":"Completed","result":{}}""");
        _clock.Advance(Step);
        var read = await Gateway.Services.GetRequiredService<global::Gateway.Jobs.JobReader>().PollAsync(id, "team-a", TimeSpan.FromSeconds(1));
        Assert.NotNull(read);
        var (after, body) = await ReadAsync(id);

        Assert.Equal("Gateway; hit", after.Header("Cache-Status"));
        Assert.Contains("\"Completed\"", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("purge")]
    public async Task CancellingOrPurgingAJob_DropsItsSharedAnswer(string how)
    {
        var id = NewId("pending-");
        await ReadAsync(id);
        var (shared, _) = await ReadAsync(id);
        Assert.StartsWith("Gateway; hit; ttl=", shared.Header("Cache-Status"), StringComparison.Ordinal);

        _clock.Advance(Step);
        if (how == "cancel")
        {
            using var cancelled = await Client.PostAsync("/cancel/" + id, null, Cancel);
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }
        else
        {
            using var admin = Gateway.CreateClient(GatewayFactory.AdminKey);
            using var purged = await admin.DeleteAsync("/admin/cache/jobs/" + id, Cancel);
            Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);
        }

        var (after, _) = await ReadLaterAsync(id);
        Assert.Equal("Gateway; fwd=uri-miss", after.Header("Cache-Status"));
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task SharedRunningAnswers_AreCountedApartFromCacheHits()
    {
        var meters = Gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var shared = new MetricCollector<long>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.pending.shared");
        using var hits = new MetricCollector<long>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.cache.hits");
        var running = NewId("pending-");
        var done = NewId("done-");
        for (var i = 0; i < 3; i++)
        {
            await ReadLaterAsync(running);
            await ReadLaterAsync(done);
        }

        // Counted once each response is complete, which can be just after the client has it.
        await Eventually.Until(() => shared.GetMeasurementSnapshot().Count == 2 && hits.GetMeasurementSnapshot().Count == 2,
            because: "two shared running answers and two cache hits are counted");
        Assert.All(shared.GetMeasurementSnapshot(), m => Assert.Equal("team-a", m.Tags["team"]));
        Assert.Equal(1, Upstream.Requests.CountForJob(running));

        // The name operators scrape, as the README gives it.
        var scrape = await Client.GetStringAsync("/metrics", Cancel);
        Assert.Contains("gateway_pending_shared_total{", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZeroWindow_SendsEverySequentialPollToTheUpstream_AsBeforeTheWindowExisted()
    {
        await using var off = new GatewayFactory(Upstream.BaseAddress, redis.ConnectionString,
            new Dictionary<string, string?> { ["Jobs:PendingFreshness"] = "00:00:00" }, _clock);
        using var client = off.CreateClient();
        var id = NewId("pending-");
        for (var i = 1; i <= 5; i++)
        {
            _clock.Advance(Step);
            using var response = await client.GetAsync("/job/" + id, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Gateway; fwd=uri-miss", response.Header("Cache-Status"));
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.Null(response.Headers.RetryAfter);
            Assert.Null(response.Headers.Age);
            Assert.Equal(i, Upstream.Requests.CountForJob(id));
        }
    }

    private async Task<(HttpResponseMessage Response, byte[] Body)> ReadLaterAsync(string id)
    {
        _clock.Advance(Step);
        return await ReadAsync(id);
    }

    private async Task<(HttpResponseMessage Response, byte[] Body)> ReadAsync(string id)
    {
        var response = await GetJobAsync(id);
        return (response, await response.Content.ReadAsByteArrayAsync(Cancel));
    }
}
