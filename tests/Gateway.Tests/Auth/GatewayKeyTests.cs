using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Auth;

public sealed class GatewayKeyTests : GatewayTest
{
    [Theory]
    [InlineData(null)]
    [InlineData("not-a-configured-key-at-all")]
    [InlineData("team-a-gateway-key-000")]
    [InlineData("sha256:b259fa78b47b9ebb6e83b4260d107a25484eb1f5eeabf489e74f95dc3af4b333")]
    [InlineData(GatewayFactory.ServerKey)]
    public async Task MissingOrUnknownKey_Gets401Problem_AndNothingReachesTheUpstream(string? key)
    {
        using var client = Gateway.CreateClient(key);
        using var response = await client.GetAsync("/job/done-2k", Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // RFC 6750: no credentials get a bare challenge; credentials that open nothing, error="invalid_token".
        Assert.Equal(key is null ? "Bearer" : "Bearer error=\"invalid_token\", error_description=\"Unknown key\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(key is null ? "urn:gateway:problem:gateway-key-required" : "urn:gateway:problem:gateway-key-unknown",
            problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(0, Upstream.Requests.Count);
    }

    [Theory]
    [InlineData(GatewayFactory.TeamAKey)]
    [InlineData(GatewayFactory.TeamBKey)]
    public async Task ConfiguredKey_PlainOrHashed_IsAccepted(string key)
    {
        using var client = Gateway.CreateClient(key);
        using var response = await client.GetAsync("/job/done-2k", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/swagger/v1/swagger.json")]
    [InlineData("/swagger/index.html")]
    public async Task HealthAndOpenApi_NeedNoKey(string path)
    {
        using var client = Gateway.CreateClient(gatewayKey: null);
        using var response = await client.GetAsync(path, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task NoSecret_EverAppearsInALogLineOrAResponse()
    {
        var bodies = new List<string>();
        async Task Read(HttpClient client, string path)
        {
            using var response = await client.GetAsync(path, Cancel);
            bodies.Add(string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => h.Key + ": " + string.Join(",", h.Value))));
            bodies.Add(await response.Content.ReadAsStringAsync(Cancel));
        }

        using var teamA = Gateway.CreateClient(GatewayFactory.TeamAKey);
        using var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey);
        using var stranger = Gateway.CreateClient("stranger-key-0123456789");
        foreach (var path in new[] { "/job/done-2k", "/job/pending-x", "/job/status-429-x", "/job/status-500-x", "/job/bad.id", "/readyz" })
        {
            await Read(teamA, path);
            await Read(teamB, path);
            await Read(stranger, path);
        }

        Upstream.Script.Respond("auth-broken", 401, "{\"error\":{\"code\":401,\"name\":\"AUTH_ERROR\",\"message\":\"Invalid access token\"}}");
        await Read(teamA, "/job/auth-broken");

        var logs = Gateway.Logs.GetSnapshot()
            .Select(r => r.Message + " " + r.Exception + " " + string.Join(",", r.StructuredState?.Select(s => s.Value) ?? []))
            .ToList();
        Assert.NotEmpty(logs);
        foreach (var secret in new[] { GatewayFactory.ServerKey, GatewayFactory.TeamAKey, GatewayFactory.TeamBKey, "stranger-key-0123456789" })
        {
            Assert.DoesNotContain(logs, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(bodies, body => body.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TeamName_IsInTheLogScopeOfItsRequests()
    {
        using var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey);
        Upstream.Script.Respond("scoped-429", 429, "{\"message\":\"slow down\"}");
        using var response = await teamB.GetAsync("/job/scoped-429", Cancel);

        var throttled = Assert.Single(Gateway.Logs.GetSnapshot(), r => r.Id.Id == global::Gateway.Upstream.UpstreamLog.ThrottledId);
        Assert.Contains(throttled.Scopes, scope => scope is IEnumerable<KeyValuePair<string, object>> pairs
            && pairs.Any(p => p.Key == "Team" && (string)p.Value == "team-b"));
    }
}

public sealed class AnonymousModeTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:AllowAnonymous"] = "true",
    };

    [Fact]
    public async Task ExplicitlyAnonymous_ServesWithoutAKey()
    {
        using var client = Gateway.CreateClient(gatewayKey: null);
        using var response = await client.GetAsync("/job/done-2k", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
