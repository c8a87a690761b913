using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Upstream;

public sealed class ResilienceTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Upstream:Retries"] = "2",
        ["Upstream:CircuitMinimumThroughput"] = "4",
        ["Upstream:CircuitFailureRatio"] = "0.5",
        ["Upstream:CircuitBreakDuration"] = "00:00:30",
    };

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task TransientUpstreamStatus_IsRetriedTwice_ThenPassedThrough(int status)
    {
        var id = $"status-{status}-" + Guid.NewGuid().ToString("N");
        using var response = await GetJobAsync(id);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(3, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task TransientFailureThenSuccess_CallerSeesOnlyTheSuccess()
    {
        var id = NewId("scripted-");
        var calls = 0;
        Upstream.Script.Respond(id, () => Interlocked.Increment(ref calls) == 1
            ? new ScriptedResponse(503, "{\"error\":\"overloaded\"}"u8.ToArray())
            : new ScriptedResponse(200, "{\"status\":\"Completed\",\"result\":null}"u8.ToArray()));

        using var response = await GetJobAsync(id);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task Upstream500_IsAnExtractionErrorAndIsNotRetried()
    {
        var id = "status-500-" + Guid.NewGuid().ToString("N");
        using var response = await GetJobAsync(id);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task UpstreamDown_OpensTheCircuit_CallersGetFast503_AndCachedJobsAreStillServed()
    {
        var cached = NewId("done-");
        using (var warm = await GetJobAsync(cached))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            using var failing = await GetJobAsync("status-503-down" + i);
        }

        var before = Upstream.Requests.Count;
        using var rejected = await GetJobAsync(NewId("done-"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.StatusCode);
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.Equal("true", rejected.Header("x-should-retry"));
        var retryAfter = long.Parse(rejected.Header("retry-after-ms")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 30_000);
        using (var problem = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync(Cancel)))
        {
            Assert.Equal("urn:gateway:problem:upstream-circuit-open", problem.RootElement.GetProperty("type").GetString());
        }

        Assert.Equal(before, Upstream.Requests.Count);

        using var hit = await GetJobAsync(cached);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));

        using var ready = await Client.GetAsync("/readyz", Cancel);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"Degraded\"", await ready.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }
}
