using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Caching;

public sealed class TerminalCachingTests(RedisServer redis) : GatewayTest
{
    protected override string? RedisConnectionString => redis.ConnectionString;

    // With the running window off, as before it existed: every read of running or status-less answers reaches the upstream.
    // That it stays exactly so is part of what these tests keep proving; the window has its own tests.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Jobs:PendingFreshness"] = "00:00:00" };

    [Fact]
    public async Task CompletedJob_200SequentialReads_ReachUpstreamOnce()
    {
        var id = NewId("done-");
        byte[]? first = null;
        for (var i = 0; i < 200; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync(Cancel);
            first ??= body;
            Assert.Equal(first, body);
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task FailedJob_200SequentialReads_ReachUpstreamOnce()
    {
        var id = NewId("failed-");
        for (var i = 0; i < 200; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData("pending-")]
    [InlineData("idle-")]
    public async Task RunningJob_IsNeverStored(string prefix)
    {
        var id = NewId(prefix);
        for (var i = 0; i < 5; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.Null(response.Headers.ETag);
            Assert.Equal("Gateway; fwd=uri-miss", response.Header("Cache-Status"));
        }

        Assert.Equal(5, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData("{\"status\":\"Cancelled\",\"result\":null}")]
    [InlineData("{\"status\":\"InProgress\"}")]
    [InlineData("{\"progress\":1.0}")]
    [InlineData("[{\"status\":\"Completed\"}]")]
    [InlineData("{\"result\":{\"status\":\"Completed\"}}")]
    public async Task UnknownOrMissingTopLevelStatus_IsNeverStored(string body)
    {
        var id = NewId("scripted-");
        Upstream.Script.Respond(id, 200, body);
        for (var i = 0; i < 3; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(body, await response.Content.ReadAsStringAsync(Cancel));
        }

        Assert.Equal(3, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task CompletedBodyThatIsNotValidJson_IsPassedThroughButNotStored()
    {
        var id = NewId("scripted-");
        const string truncated = "{\"status\":\"Completed\",\"result\":{\"chunks\":[";
        Upstream.Script.Respond(id, 200, truncated);
        for (var i = 0; i < 3; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(truncated, await response.Content.ReadAsStringAsync(Cancel));
        }

        Assert.Equal(3, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task PendingThenCompleted_CompletionIsSeenOnTheVeryNextRead()
    {
        var id = NewId("scripted-");
        var completed = false;
        Upstream.Script.Respond(id, () => new ScriptedResponse(200, Encoding.UTF8.GetBytes(
            completed ? "{\"status\":\"Completed\",\"result\":{\"ok\":true}}" : "{\"status\":\"Pending\",\"progress\":40}")));

        using (var pending = await GetJobAsync(id))
        {
            Assert.Contains("Pending", await pending.Content.ReadAsStringAsync(Cancel));
        }

        completed = true;
        using (var done = await GetJobAsync(id))
        {
            Assert.Contains("Completed", await done.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("Gateway; fwd=uri-miss; stored", done.Header("Cache-Status"));
        }

        using (var hit = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
        }

        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task NotFound_PassesThroughAndIsNotStored()
    {
        var id = NewId("missing-");
        for (var i = 0; i < 3; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("{\"detail\":\"Job not found\"}", await response.Content.ReadAsStringAsync(Cancel));
        }

        Assert.Equal(3, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task TerminalJob_HasStrongETag_AndIfNoneMatchGets304WithoutBody()
    {
        var id = NewId("done-");
        using var first = await GetJobAsync(id);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);

        foreach (var candidate in new[] { etag.Tag, "\"other\", " + etag.Tag, "W/" + etag.Tag, "*" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
            request.Headers.TryAddWithoutValidation("If-None-Match", candidate);
            using var conditional = await Client.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.NotModified, conditional.StatusCode);
            Assert.Equal(etag, conditional.Headers.ETag);
            Assert.Empty(await conditional.Content.ReadAsByteArrayAsync(Cancel));
        }

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        stale.Headers.TryAddWithoutValidation("If-None-Match", "\"not-the-current-one\"");
        using var full = await Client.SendAsync(stale, Cancel);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task CacheStatus_SaysStoredOnFirstReadAndHitAfterwards()
    {
        var id = NewId("done-");
        using var miss = await GetJobAsync(id);
        using var hit = await GetJobAsync(id);
        Assert.Equal("Gateway; fwd=uri-miss; stored", miss.Header("Cache-Status"));
        Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
        Assert.Equal(miss.Headers.ETag, hit.Headers.ETag);
        Assert.Equal(miss.Content.Headers.ContentType, hit.Content.Headers.ContentType);
    }

    [Fact]
    public async Task JobCreatedMoreThanRetentionAgo_IsServedButNotStored()
    {
        var id = NewId("scripted-");
        var createdAt = DateTimeOffset.UtcNow.AddHours(-13).ToString("O");
        Upstream.Script.Respond(id, 200, $"{{\"status\":\"Completed\",\"created_at\":\"{createdAt}\",\"result\":null}}");
        using var first = await GetJobAsync(id);
        using var second = await GetJobAsync(id);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("Gateway; fwd=uri-miss", second.Header("Cache-Status"));
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task TwoDeploymentsSharingOneRedis_NeverServeEachOthersJobs()
    {
        var id = NewId("done-");
        var instance = "shared-" + Guid.NewGuid().ToString("N")[..8] + ":";
        await using var open = await StandInServer.StartAsync(new StandInOptions { ApiKey = null }, cancellationToken: Cancel);

        async Task<string?> ReadThrough(string serverKey)
        {
            await using var gateway = new GatewayFactory(open.BaseAddress, redis.ConnectionString,
                new Dictionary<string, string?> { ["Upstream:ApiKey"] = serverKey, ["Cache:InstanceName"] = instance });
            using var client = gateway.CreateClient();
            using var response = await client.GetAsync("/job/" + id, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Header("Cache-Status");
        }

        Assert.Equal("Gateway; fwd=uri-miss; stored", await ReadThrough("team-a-server-key"));
        Assert.Equal("Gateway; fwd=uri-miss; stored", await ReadThrough("team-b-server-key"));

        // The same deployment restarted does share: the isolation above comes from the key, not from chance.
        Assert.Equal("Gateway; hit", await ReadThrough("team-a-server-key"));
        Assert.Equal(2, open.Requests.CountForJob(id));
    }
}
