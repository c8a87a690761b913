using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

public sealed class CachePurgeTests(RedisServer redis) : GatewayTest
{
    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Auth:AdminKey"] = GatewayFactory.AdminKey };

    [Fact]
    public async Task AdminPurge_DropsTheJob_SoTheNextReadGoesUpstream()
    {
        var id = NewId("done-");
        using (var stored = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; fwd=uri-miss; stored", stored.Header("Cache-Status"));
        }

        using var admin = Gateway.CreateClient(GatewayFactory.AdminKey);
        using (var purged = await admin.DeleteAsync("/admin/cache/jobs/" + id, Cancel))
        {
            Assert.Equal(HttpStatusCode.NoContent, purged.StatusCode);
        }

        using var after = await GetJobAsync(id);
        Assert.Equal("Gateway; fwd=uri-miss; stored", after.Header("Cache-Status"));
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(GatewayFactory.TeamAKey, HttpStatusCode.Forbidden)]
    public async Task Purge_NeedsTheAdminKey(string? key, HttpStatusCode expected)
    {
        var id = NewId("done-");
        using (await GetJobAsync(id))
        {
        }

        using var client = Gateway.CreateClient(key);
        using var response = await client.DeleteAsync("/admin/cache/jobs/" + id, Cancel);
        Assert.Equal(expected, response.StatusCode);

        using var after = await GetJobAsync(id);
        Assert.Equal("Gateway; hit", after.Header("Cache-Status"));
    }

    [Fact]
    public async Task AdminKey_CannotReadJobsOrReachReducto()
    {
        using var admin = Gateway.CreateClient(GatewayFactory.AdminKey);
        using var job = await admin.GetAsync("/job/done-2k", Cancel);
        using var forwarded = await admin.GetAsync("/version", Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, job.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forwarded.StatusCode);
        Assert.Equal(0, Upstream.Requests.Count);
    }
}
