using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Reducto.StandIn;

namespace Gateway.Tests.Upstream;

public sealed class UpstreamFailureTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Upstream:Timeout"] = "00:00:02",
        ["Upstream:Retries"] = "0",

        // A repeated 200 without a terminal status (the non-JSON body) must reach the upstream each time here;
        // within the running window it would be shared (Jobs/PendingFreshnessTests).
        ["Jobs:PendingFreshness"] = "00:00:00",
    };

    [Fact]
    public async Task SlowUpstream_Gets504Problem()
    {
        var id = NewId("done-");
        Upstream.Script.Delay(id, TimeSpan.FromSeconds(5));
        using var response = await GetJobAsync(id);

        await AssertProblem(response, HttpStatusCode.GatewayTimeout, "upstream-timeout", shouldRetry: true);
        Assert.Contains(Gateway.Logs.GetSnapshot(), r => r.Id.Id == UpstreamLog.TimedOutId);
    }

    [Fact]
    public async Task ConnectionResetByUpstream_Gets502Problem_AndNothingIsStored()
    {
        var id = NewId("done-");
        Upstream.Script.Abort(id);
        using var first = await GetJobAsync(id);
        await AssertProblem(first, HttpStatusCode.BadGateway, "upstream-unreachable", shouldRetry: true);

        Upstream.Script.Clear(id);
        using var second = await GetJobAsync(id);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("Gateway; fwd=uri-miss; stored", second.Header("Cache-Status"));
    }

    [Fact]
    public async Task TruncatedBody_Gets502Problem_AndIsNotStored()
    {
        var id = NewId("scripted-");
        var body = System.Text.Encoding.UTF8.GetBytes("{\"status\":\"Completed\",\"result\":{\"text\":\"" + new string('x', 10_000) + "\"}}");
        Upstream.Script.Truncate(id, body, 4_000);
        using var response = await GetJobAsync(id);
        await AssertProblem(response, HttpStatusCode.BadGateway, "upstream-unreachable", shouldRetry: true);

        using var again = await GetJobAsync(id);
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task NonJsonBody_IsPassedThroughAsSent_AndNeverStored()
    {
        var id = NewId("notjson-");
        for (var i = 0; i < 2; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("upstream says hi", await response.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task UpstreamRejectingTheServerKey_Gets502WithShouldRetryFalse_AndLogsAnErrorWithoutTheKey(int upstreamStatus)
    {
        var id = NewId("scripted-");
        Upstream.Script.Respond(id, upstreamStatus, "{\"error\":{\"code\":401,\"name\":\"AUTH_ERROR\",\"message\":\"Invalid access token\"}}");
        using var response = await GetJobAsync(id);

        await AssertProblem(response, HttpStatusCode.BadGateway, "upstream-auth-rejected", shouldRetry: false);
        var logs = Gateway.Logs.GetSnapshot();
        var error = Assert.Single(logs, r => r.Id.Id == UpstreamLog.AuthRejectedId);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, error.Level);
        Assert.DoesNotContain(logs, r => r.Message.Contains(GatewayFactory.ServerKey, StringComparison.Ordinal));
        Assert.DoesNotContain(GatewayFactory.ServerKey, await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttled_PassesThe429AndBody_AndAddsTheConfiguredRetryAfterMs()
    {
        var id = "status-429-" + Guid.NewGuid().ToString("N");
        using var response = await GetJobAsync(id);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Contains("[CODE 2000]", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Equal("1000", response.Header(RetryAfterHint.MillisecondsHeader));
    }

    [Theory]
    [InlineData("Retry-After", "3600", "60000")]
    [InlineData("retry-after-ms", "250", "250")]
    [InlineData("retry-after-ms", "999999", "60000")]
    public async Task Throttled_UpstreamHintsAreHonouredButNeverAboveSixtySeconds(string header, string value, string expected)
    {
        var id = NewId("scripted-");
        Upstream.Script.Respond(id, () => new ScriptedResponse(429, "{\"message\":\"slow down\"}"u8.ToArray())
        {
            Headers = new Dictionary<string, string> { [header] = value },
        });
        using var response = await GetJobAsync(id);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(expected, response.Header(RetryAfterHint.MillisecondsHeader));
    }

    [Fact]
    public async Task UnreachableUpstream_Gets502Problem()
    {
        await using var gateway = new GatewayFactory(new Uri($"http://127.0.0.1:{ClosedPort()}/"));
        using var client = gateway.CreateClient();
        using var response = await client.GetAsync("/job/done-2k", Cancel);

        await AssertProblem(response, HttpStatusCode.BadGateway, "upstream-unreachable", shouldRetry: true);
        Assert.Contains(gateway.Logs.GetSnapshot(), r => r.Id.Id == UpstreamLog.UnreachableId);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code, bool shouldRetry)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(shouldRetry ? "true" : "false", response.Header("x-should-retry"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("urn:gateway:problem:" + code, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.StartsWith("Gateway; fwd=uri-miss", response.Header("Cache-Status"), StringComparison.Ordinal);
    }
}
