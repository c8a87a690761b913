using System.Net;
using System.Text.Json;
using Gateway.Operations;
using Gateway.Tests.Credits;
using Gateway.Tests.Ownership;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Operations;

/// <summary><c>GET /admin/overview</c> and <c>GET /admin</c> on one gateway with the shared redis-server.</summary>
public sealed class OverviewEndpointTests(RedisServer redis) : GatewayTest
{
    private const string TeamDKey = "team-d-gateway-key-0004";

    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,
        ["Auth:ClientKeys:team-c"] = GatewayFactory.TeamCKey,
        ["Teams:team-c:RequestsPerSecond"] = "1",
        ["Teams:team-d:Keys:soon:Key"] = TeamDKey,
        ["Teams:team-d:Keys:soon:NotAfter"] = DateTimeOffset.UtcNow.AddDays(3).ToString("O"),
        ["Teams:team-d:Keys:later:Key"] = "team-d-gateway-key-0005",
        ["Teams:team-d:Keys:later:NotAfter"] = DateTimeOffset.UtcNow.AddDays(90).ToString("O"),
        ["Teams:team-d:CreditsPerMonth"] = "40",
        ["Teams:team-d:CreditsWarnPercent"] = "50",
        ["Upstream:JobPollsPerSecond"] = "120",
        ["Jobs:PendingFreshness"] = "00:00:30",
    };

    [Fact]
    public async Task Overview_CountsEachTeamsTraffic_ByHowItWasAnswered()
    {
        var done = NewId("done-");
        for (var i = 0; i < 3; i++)
        {
            using var _ = await GetJobAsync(done);
        }

        using (var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey))
        {
            var pending = NewId("pending-");
            using (await teamB.GetAsync("/job/" + pending, Cancel))
            using (await teamB.GetAsync("/job/" + pending, Cancel))
            {
            }
        }

        using (var teamC = Gateway.CreateClient(GatewayFactory.TeamCKey))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await teamC.GetAsync("/job/" + NewId("status-429-"), Cancel);
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            }
        }

        var overview = await SampledOverviewAsync();

        Assert.Equal("deployment", overview.GetProperty("scope").GetString());
        Assert.Equal(60, overview.GetProperty("total").GetProperty("requests").GetArrayLength());
        var teams = overview.GetProperty("teams").EnumerateArray().ToDictionary(static t => t.GetProperty("team").GetString()!);
        Assert.Equal(["team-a", "team-b", "team-c", "team-d"], teams.Keys.Order());

        Assert.Equal(3, Sum(teams["team-a"], "requests"));
        Assert.Equal(2, Sum(teams["team-a"], "cacheHits"));
        Assert.Equal(1, Sum(teams["team-a"], "upstreamCalls"));
        Assert.Equal(2, Sum(teams["team-b"], "requests"));
        Assert.Equal(1, Sum(teams["team-b"], "sharedAnswers"));
        Assert.Equal(1, Sum(teams["team-b"], "upstreamCalls"));
        var throttled = teams["team-c"].GetProperty("throttled");
        Assert.Equal(1, Sum(throttled, "reducto"));
        Assert.Equal(2, Sum(throttled, "teamLimit"));
        Assert.Equal(0, Sum(teams["team-d"], "requests"));
        Assert.Equal(8, Sum(overview.GetProperty("total"), "requests"));
        Assert.Equal(3, Sum(overview.GetProperty("total"), "upstreamCalls"));

        // Hits and shared answers are answered without Reducto; misses (a stored read, a running read) are not.
        var latency = overview.GetProperty("latency");
        Assert.Contains(latency.GetProperty("hitP50Ms").EnumerateArray(), static v => v.ValueKind == JsonValueKind.Number);
        Assert.Contains(latency.GetProperty("missP99Ms").EnumerateArray(), static v => v.ValueKind == JsonValueKind.Number);

        var budget = overview.GetProperty("budget");
        Assert.Equal(120, budget.GetProperty("jobPollsPerSecond").GetInt32());
        Assert.True(budget.GetProperty("upstreamCallsPerSecond").EnumerateArray().Sum(static v => v.GetDouble()) > 0);
    }

    [Fact]
    public async Task Overview_StatusStrip_ShowsRedisTheCircuitAndKeysNearExpiry()
    {
        var status = (await SampledOverviewAsync()).GetProperty("status");

        Assert.Equal("up", status.GetProperty("redis").GetString());
        Assert.Equal("closed", status.GetProperty("upstreamCircuit").GetString());
        Assert.Equal(1, status.GetProperty("replicasAlive").GetInt32());
        Assert.Equal(0, status.GetProperty("callersWaiting").GetInt32());
        Assert.Equal(0, status.GetProperty("refreshesQueued").GetInt32());
        Assert.Equal(0, status.GetProperty("staleAnswersLastMinute").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, status.GetProperty("staleAgeP50Seconds").ValueKind);
        var key = Assert.Single(status.GetProperty("keysNearExpiry").EnumerateArray());
        Assert.Equal("team-d", key.GetProperty("team").GetString());
        Assert.Equal("soon", key.GetProperty("keyId").GetString());
        Assert.False(key.GetProperty("expired").GetBoolean());
    }

    [Fact]
    public async Task Overview_GivesEachTeamsCreditsThisMonth_AndTheBudgetUsed()
    {
        using var teamD = Gateway.CreateClient();
        var id = await OwnershipTestKit.CreateJobAsync(teamD, TeamDKey);
        Upstream.Script.Respond(id, 200, CreditsTestKit.CompletedBody(id, 4, 10m));
        Assert.Equal(10m, await CreditsTestKit.ReadUntilCompletedAsync(teamD, id, TeamDKey));
        var done = NewId("done-");
        using (await GetJobAsync(done))
        {
        }

        Dictionary<string, JsonElement> credits = [];
        await Eventually.Until(async () =>
        {
            credits = (await SampledOverviewAsync()).GetProperty("credits").EnumerateArray().ToDictionary(static t => t.GetProperty("team").GetString()!);
            return credits.Count == 2 && credits.Values.All(static t => t.GetProperty("credits").GetDecimal() > 0);
        }, TimeSpan.FromSeconds(10), () => string.Join("; ", credits.Values));

        // Team d created its job and has a budget; the stand-in's done- job was created by nobody through the gateway.
        var d = credits["team-d"];
        Assert.Equal((10m, 40m, 0.25, 50), (d.GetProperty("credits").GetDecimal(), d.GetProperty("creditsPerMonth").GetDecimal(),
            d.GetProperty("usedRatio").GetDouble(), d.GetProperty("warnPercent").GetInt32()));
        var unowned = credits["(unowned)"];
        Assert.Equal(3m, unowned.GetProperty("credits").GetDecimal());
        Assert.Equal(JsonValueKind.Null, unowned.GetProperty("usedRatio").ValueKind);
    }

    [Fact]
    public async Task Overview_NeedsTheAdminKey()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(null, "/admin/overview"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(GatewayFactory.TeamAKey, "/admin/overview"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(TeamDKey, "/admin/overview"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(GatewayFactory.AdminKey, "/admin/overview"));
    }

    [Fact]
    public async Task AdminPage_IsServedWithoutAKey_FromTheGatewayItself_AndCarriesNoData()
    {
        using var client = Gateway.CreateClient(gatewayKey: null);
        using var response = await client.GetAsync("/admin", Cancel);
        var html = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'sha256-", policy, StringComparison.Ordinal);

        // Nothing from elsewhere: no absolute URL is loaded, and the key is sent as a header, never in a URL.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Contains("sessionStorage", html, StringComparison.Ordinal);
        Assert.Contains("Authorization: \"Bearer \"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("team-a", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_IsInTheOpenApiDocument_WithItsShape()
    {
        using var client = Gateway.CreateClient(gatewayKey: null);
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json", Cancel));

        var operation = document.RootElement.GetProperty("paths").GetProperty("/admin/overview").GetProperty("get");
        Assert.Contains("OperationsOverview", operation.GetProperty("responses").GetProperty("200").GetRawText(), StringComparison.Ordinal);
        Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _));
        Assert.False(document.RootElement.GetProperty("paths").TryGetProperty("/admin", out _), "the page is not an API operation");
        Assert.True(document.RootElement.GetProperty("components").GetProperty("schemas").TryGetProperty("OperationsStatus", out _));
    }

    [Fact]
    public async Task AdminKeyAndTeamKeys_NeverReachTheLog()
    {
        using (var _ = await GetJobAsync(NewId("done-")))
        {
        }

        await SampledOverviewAsync();
        using (var page = Gateway.CreateClient(GatewayFactory.AdminKey))
        using (await page.GetAsync("/admin", Cancel))
        {
        }

        var logged = string.Join('\n', Gateway.Logs.GetSnapshot().Select(static record => record.Message + " " + record.Exception));
        Assert.DoesNotContain(GatewayFactory.AdminKey, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFactory.TeamAKey, logged, StringComparison.Ordinal);
    }

    private async Task<JsonElement> SampledOverviewAsync()
    {
        await Gateway.Services.GetRequiredService<UsageLedger>().FlushAsync();
        await Gateway.Services.GetRequiredService<OperationsSampler>().SampleAsync();
        using var client = Gateway.CreateClient(GatewayFactory.AdminKey);
        using var response = await client.GetAsync("/admin/overview", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone();
    }

    private async Task<HttpStatusCode> StatusAsync(string? key, string path)
    {
        using var client = Gateway.CreateClient(key);
        using var response = await client.GetAsync(path, Cancel);
        return response.StatusCode;
    }

    internal static long Sum(JsonElement series, string name) => series.GetProperty(name).EnumerateArray().Sum(static v => v.GetInt64());
}

/// <summary>Without Redis the figures are this replica's, and the strip says there is no Redis.</summary>
public sealed class ReplicaOverviewTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,
    };

    [Fact]
    public async Task WithoutRedis_TheFiguresAreThisReplicas()
    {
        var done = NewId("done-");
        using (await GetJobAsync(done))
        using (await GetJobAsync(done))
        {
        }

        await Gateway.Services.GetRequiredService<OperationsSampler>().SampleAsync();
        using var client = Gateway.CreateClient(GatewayFactory.AdminKey);
        using var overview = JsonDocument.Parse(await client.GetStringAsync("/admin/overview", Cancel));

        Assert.Equal("replica", overview.RootElement.GetProperty("scope").GetString());
        Assert.Equal("none", overview.RootElement.GetProperty("status").GetProperty("redis").GetString());
        var teamA = overview.RootElement.GetProperty("teams").EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-a");
        Assert.Equal(2, OverviewEndpointTests.Sum(teamA, "requests"));
        Assert.Equal(1, OverviewEndpointTests.Sum(teamA, "cacheHits"));
    }
}

/// <summary>With Redis, any replica's overview covers what every replica served.</summary>
public sealed class DeploymentOverviewTests(RedisServer redis)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OverviewAskedOfOneReplica_CountsWhatEveryReplicaServed()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Auth:AdminKey"] = GatewayFactory.AdminKey,
        });
        var prefix = "pending-ops-" + Guid.NewGuid().ToString("N")[..8] + "-";
        for (var i = 0; i < 6; i++)
        {
            using var _ = await set.Clients[i % 2].GetAsync("/job/" + prefix + i, Cancel);
        }

        // Replica 1's counts and latencies reach Redis; replica 0 reads them with its own.
        await set.Replicas[1].Services.GetRequiredService<UsageLedger>().FlushAsync();
        await set.Replicas[1].Services.GetRequiredService<OperationsSampler>().SampleAsync();
        await set.Replicas[0].Services.GetRequiredService<OperationsSampler>().SampleAsync();
        using var admin = set.Replicas[0].CreateClient(GatewayFactory.AdminKey);
        using var overview = JsonDocument.Parse(await admin.GetStringAsync("/admin/overview", Cancel));

        Assert.Equal("deployment", overview.RootElement.GetProperty("scope").GetString());
        var teamA = overview.RootElement.GetProperty("teams").EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-a");
        Assert.Equal(6, OverviewEndpointTests.Sum(teamA, "requests"));
        Assert.Equal(6, OverviewEndpointTests.Sum(teamA, "upstreamCalls"));
    }
}
