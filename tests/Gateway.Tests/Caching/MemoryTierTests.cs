using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Caching;

public sealed class MemoryTierTests : PrivateRedisGatewayTest
{
    [Fact]
    public async Task HitsFromTheMemoryTier_NeedNeitherRedisNorTheUpstream()
    {
        var id = NewId("done-");
        using (var stored = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; fwd=uri-miss; stored", stored.Header("Cache-Status"));
        }

        Assert.Equal("+OK", await Redis.SendAsync("FLUSHALL"));
        for (var i = 0; i < 100; i++)
        {
            using var hit = await GetJobAsync(id);
            Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
        }

        Assert.Equal(":0", await Redis.SendAsync("DBSIZE"));
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AnotherReplica_FillsItsMemoryTierFromRedis_NotFromTheUpstream()
    {
        var id = NewId("done-");
        using (await GetJobAsync(id))
        {
        }

        await using var replica = new GatewayFactory(Upstream.BaseAddress, Redis.ConnectionString,
            new Dictionary<string, string?> { ["Cache:InstanceName"] = Gateway.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<global::Gateway.Redis.RedisOptions>>().Value.InstanceName });
        using var client = replica.CreateClient();
        using (var fromRedis = await client.GetAsync("/job/" + id, Cancel))
        {
            Assert.Equal("Gateway; hit", fromRedis.Header("Cache-Status"));
        }

        Assert.Equal("+OK", await Redis.SendAsync("FLUSHALL"));
        using (var fromMemory = await client.GetAsync("/job/" + id, Cancel))
        {
            Assert.Equal("Gateway; hit", fromMemory.Header("Cache-Status"));
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }
}
