using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Upstream;

public sealed class HeaderTests : GatewayTest
{
    [Fact]
    public async Task UpstreamGetsTheServerKey_AndNeverTheCallersAuthorizationCookiesOrHopByHopHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/pending-headers");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + GatewayFactory.TeamAKey);
        request.Headers.TryAddWithoutValidation("Cookie", "session=caller-cookie");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic caller-proxy");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.2.3");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("X-Custom-Secret", "caller-custom");
        using var response = await Client.SendAsync(request, Cancel);
        response.EnsureSuccessStatusCode();

        var seen = Assert.Single(Upstream.Requests.All).Headers;
        Assert.Equal("Bearer " + GatewayFactory.ServerKey, seen["Authorization"]);
        Assert.Equal("application/json", seen["Accept"]);
        Assert.DoesNotContain(seen.Values, v => v.Contains("caller", StringComparison.Ordinal) || v.Contains(GatewayFactory.TeamAKey, StringComparison.Ordinal));
        Assert.False(seen.ContainsKey("Cookie"));
        Assert.False(seen.ContainsKey("Proxy-Authorization"));
        Assert.False(seen.ContainsKey("X-Forwarded-For"));
        Assert.False(seen.ContainsKey("Keep-Alive"));
    }

    [Fact]
    public async Task UpstreamPath_IsJobSlashId()
    {
        using var response = await GetJobAsync("pending-path-check");
        var seen = Assert.Single(Upstream.Requests.All);
        Assert.Equal("GET", seen.Method);
        Assert.Equal("/job/pending-path-check", seen.Path);
        Assert.Equal(string.Empty, seen.QueryString);
    }
}

public sealed class ApiKeyFallbackTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Upstream:ApiKey"] = string.Empty,
        ["REDUCTO_API_KEY"] = GatewayFactory.ServerKey,
    };

    [Fact]
    public async Task WithoutUpstreamApiKey_TheSdkEnvironmentVariableIsUsed()
    {
        using var response = await GetJobAsync("pending-env-key");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + GatewayFactory.ServerKey, Assert.Single(Upstream.Requests.All).Headers["Authorization"]);
    }
}
