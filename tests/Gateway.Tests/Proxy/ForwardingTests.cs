using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

public sealed class ForwardingTests(RedisServer redis) : GatewayTest
{
    protected override string? RedisConnectionString => redis.ConnectionString;

    [Theory]
    [InlineData("POST", "/parse_async")]
    [InlineData("POST", "/extract_async")]
    [InlineData("POST", "/cancel/some-job")]
    [InlineData("GET", "/jobs?limit=5&cursor=abc&exclude_configs=true")]
    [InlineData("GET", "/version")]
    [InlineData("DELETE", "/upload/reducto%3A%2F%2Fabc")]
    public async Task ConfiguredRoute_IsForwardedWithTheServerKeyInsteadOfTheCallers(string method, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), pathAndQuery);
        request.Headers.TryAddWithoutValidation("Cookie", "session=caller-cookie");
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { input = "reducto://abc.pdf" });
        }

        using var response = await Client.SendAsync(request, Cancel);

        Assert.True(response.IsSuccessStatusCode, $"{method} {pathAndQuery}: {(int)response.StatusCode}");
        var seen = Assert.Single(Upstream.Requests.All);
        Assert.Equal(method, seen.Method);
        Assert.Equal(Uri.UnescapeDataString(pathAndQuery), Uri.UnescapeDataString(seen.Path + seen.QueryString));
        Assert.Equal("Bearer " + GatewayFactory.ServerKey, seen.Headers["Authorization"]);
        Assert.False(seen.Headers.ContainsKey("Cookie"));
        Assert.False(seen.Headers.ContainsKey("X-Forwarded-For"));
        Assert.DoesNotContain(seen.Headers.Values, v => v.Contains(GatewayFactory.TeamAKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AsyncParse_ReturnsTheUpstreamsJobId_AndThatJobCanBePolledThroughTheGateway()
    {
        using var started = await Client.PostAsJsonAsync("/parse_async", new { input = "reducto://abc.pdf" }, Cancel);
        started.EnsureSuccessStatusCode();
        var jobId = (await started.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("job_id").GetString();

        using var poll = await GetJobAsync(jobId!);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Contains("\"status\":\"Pending\"", await poll.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DELETE", "/job/{0}")]
    [InlineData("POST", "/cancel/{0}")]
    public async Task DeleteOrCancel_EvictsTheCachedJob_OnceTheUpstreamAccepts(string method, string template)
    {
        var id = NewId("done-");
        using (var stored = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; fwd=uri-miss; stored", stored.Header("Cache-Status"));
        }

        using (var evicting = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, template, id)), Cancel))
        {
            Assert.True(evicting.IsSuccessStatusCode);
        }

        using var after = await GetJobAsync(id);
        Assert.StartsWith("Gateway; fwd=uri-miss", after.Header("Cache-Status"), StringComparison.Ordinal);
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task RejectedDelete_DoesNotEvict()
    {
        var id = NewId("done-");
        using (await GetJobAsync(id))
        {
        }

        using var deleteWithoutKey = new HttpRequestMessage(HttpMethod.Delete, "/job/" + id);
        Upstream.Options.ApiKey = "rotated-so-the-delete-is-refused";
        using (var refused = await Client.SendAsync(deleteWithoutKey, Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Upstream.Options.ApiKey = GatewayFactory.ServerKey;
        using var after = await GetJobAsync(id);
        Assert.Equal("Gateway; hit", after.Header("Cache-Status"));
    }

    [Theory]
    [InlineData("GET", "/admin/anything")]
    [InlineData("GET", "/job")]
    [InlineData("POST", "/jobs")]
    [InlineData("GET", "/v2/anything")]
    [InlineData("PUT", "/upload")]
    public async Task UnconfiguredRoute_IsNotForwarded(string method, string path)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Cancel);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{method} {path}: {(int)response.StatusCode}");
        Assert.Equal(0, Upstream.Requests.Count);
    }

    [Fact]
    public async Task ForwardedRoute_WithoutAGatewayKey_Gets401AndIsNotForwarded()
    {
        using var anonymous = Gateway.CreateClient(gatewayKey: null);
        using var response = await anonymous.PostAsJsonAsync("/parse_async", new { input = "x" }, Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, Upstream.Requests.Count);
    }
}
