using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Usage;

/// <summary>What a team learns from <c>GET /usage</c> and the operators from <c>GET /admin/usage</c>, on one gateway.</summary>
public sealed class UsageTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,
        ["Auth:ClientKeys:team-c"] = GatewayFactory.TeamCKey,
        ["Teams:team-c:RequestsPerSecond"] = "1",
        ["Teams:team-a:UpstreamCallsPerDay"] = "100",
    };

    [Fact]
    public async Task TeamUsage_CountsItsOwnRequestsHitsAndUpstreamCalls_AndNobodyElses()
    {
        var finished = NewId("failed-");
        foreach (var id in new[] { finished, finished, finished, NewId("pending-") })
        {
            using var _ = await GetJobAsync(id);
        }

        using (var other = Gateway.CreateClient(GatewayFactory.TeamBKey))
        using (var _ = await other.GetAsync("/job/" + NewId("pending-"), Cancel))
        {
        }

        var report = await UsageAsync(GatewayFactory.TeamAKey, "/usage");

        Assert.Equal("team-a", report.GetProperty("team").GetString());
        Assert.Equal("replica", report.GetProperty("scope").GetString());
        foreach (var period in new[] { "today", "lastHour" })
        {
            var counts = report.GetProperty(period);
            Assert.Equal(4, counts.GetProperty("requests").GetInt64());
            Assert.Equal(2, counts.GetProperty("cacheHits").GetInt64());
            Assert.Equal(2, counts.GetProperty("upstreamCalls").GetInt64());
        }

        var quota = report.GetProperty("quota");
        Assert.Equal(100, quota.GetProperty("upstreamCallsPerDay").GetInt64());
        Assert.Equal(2, quota.GetProperty("used").GetInt64());
        Assert.Equal(98, quota.GetProperty("remaining").GetInt64());
        var key = Assert.Single(report.GetProperty("keys").EnumerateArray());
        Assert.Equal("client-key", key.GetProperty("id").GetString());
        Assert.DoesNotContain(GatewayFactory.TeamAKey, report.GetRawText(), StringComparison.Ordinal);

        var teamB = await UsageAsync(GatewayFactory.TeamBKey, "/usage");
        Assert.Equal(1, teamB.GetProperty("today").GetProperty("requests").GetInt64());
        Assert.Equal(JsonValueKind.Null, teamB.GetProperty("quota").ValueKind);
    }

    [Fact]
    public async Task Throttled_AreCountedByTheLimitThatTripped()
    {
        using var client = Gateway.CreateClient(GatewayFactory.TeamCKey);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync("/job/" + NewId("status-429-"), Cancel);
            statuses.Add(response.StatusCode);
        }

        // Asked through the operators' view: the team's own /usage would meet its one-per-second ceiling too.
        var overview = await UsageAsync(GatewayFactory.AdminKey, "/admin/usage");
        var throttled = overview.GetProperty("teams").EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-c")
            .GetProperty("today").GetProperty("throttled");

        // The first read reached Reducto, which answered 429; the next two hit the team's one-per-second ceiling.
        Assert.All(statuses, static status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
        Assert.Equal(1, throttled.GetProperty("reducto").GetInt64());
        Assert.Equal(2, throttled.GetProperty("teamLimit").GetInt64());
        Assert.Equal(0, throttled.GetProperty("quota").GetInt64());
        Assert.Equal(0, throttled.GetProperty("upstreamBudget").GetInt64());
    }

    [Fact]
    public async Task AdminUsage_ListsEveryTeam_AndEachViewNeedsItsOwnKey()
    {
        using (var _ = await GetJobAsync(NewId("pending-")))
        {
        }

        var overview = await UsageAsync(GatewayFactory.AdminKey, "/admin/usage");
        var teams = overview.GetProperty("teams").EnumerateArray().ToDictionary(static t => t.GetProperty("team").GetString()!);
        Assert.Equal(["team-a", "team-b", "team-c"], teams.Keys.Order());
        Assert.Equal(1, teams["team-a"].GetProperty("today").GetProperty("requests").GetInt64());

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(GatewayFactory.TeamAKey, "/admin/usage"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(GatewayFactory.AdminKey, "/usage"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(null, "/usage"));
    }

    [Fact]
    public async Task UsageEndpoints_AreInTheOpenApiDocument_WithTheirShape()
    {
        using var client = Gateway.CreateClient(null);
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json", Cancel));
        var paths = document.RootElement.GetProperty("paths");

        Assert.True(paths.TryGetProperty("/usage", out var usage));
        Assert.True(paths.TryGetProperty("/admin/usage", out _));
        Assert.Contains("UsageReport", usage.GetProperty("get").GetProperty("responses").GetProperty("200").GetRawText(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> UsageAsync(string key, string path)
    {
        using var client = Gateway.CreateClient(key);
        using var response = await client.GetAsync(path, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone();
    }

    private async Task<HttpStatusCode> StatusAsync(string? key, string path)
    {
        using var client = Gateway.CreateClient(key);
        using var response = await client.GetAsync(path, Cancel);
        return response.StatusCode;
    }
}

/// <summary>With Redis, any replica's answer covers the whole deployment.</summary>
public sealed class SharedUsageTests(RedisServer redis)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UsageAskedOfOneReplica_CountsWhatEveryReplicaServed()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString);
        var prefix = "pending-usage-" + Guid.NewGuid().ToString("N")[..8] + "-";
        for (var i = 0; i < 6; i++)
        {
            using var _ = await set.Clients[i % 2].GetAsync("/job/" + prefix + i, Cancel);
        }

        // Replica 1 has added its counts to Redis; replica 0 answers from Redis plus what it has not flushed yet.
        await set.Replicas[1].Services.GetRequiredService<UsageLedger>().FlushAsync();
        using var response = await set.Clients[0].GetAsync("/usage", Cancel);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal("deployment", report.RootElement.GetProperty("scope").GetString());
        Assert.Equal(6, report.RootElement.GetProperty("today").GetProperty("requests").GetInt64());
        Assert.Equal(6, report.RootElement.GetProperty("lastHour").GetProperty("upstreamCalls").GetInt64());
    }
}
