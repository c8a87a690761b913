using System.Net;
using Gateway.Caching;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

public sealed class InProcessCacheTests : GatewayTest
{
    protected override string? RedisConnectionString => null;

    [Fact]
    public async Task WithoutRedis_CompletedJobIsCachedInProcess()
    {
        var id = NewId("done-");
        for (var i = 0; i < 50; i++)
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(i == 0 ? "Gateway; fwd=uri-miss; stored" : "Gateway; hit", response.Header("Cache-Status"));
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task WithoutRedis_StartUpSaysTheCacheIsInProcess()
    {
        using var response = await GetJobAsync("pending-startup");
        var line = Assert.Single(Gateway.Logs.GetSnapshot(), r => r.Id.Id == CachingLog.CacheKindId);
        Assert.Contains("in-process", line.Message, StringComparison.Ordinal);
    }
}

public sealed class InProcessCacheBudgetTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:InProcessSizeLimitBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task InProcessCache_StaysWithinItsMemoryBudget()
    {
        // Ten 1 MB jobs cannot all fit in 2 MB: some must have been evicted, so re-reading them all goes upstream again.
        for (var i = 0; i < 10; i++)
        {
            using var response = await GetJobAsync("done-1m-" + i);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < 10; i++)
        {
            using var response = await GetJobAsync("done-1m-" + i);
        }

        Assert.InRange(Upstream.Requests.Count, 12, 20);
    }
}
