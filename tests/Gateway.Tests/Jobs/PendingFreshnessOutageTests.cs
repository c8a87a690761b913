using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Jobs;

/// <summary>The running window without Redis: each replica keeps sharing what it read itself. A private redis-server.</summary>
public sealed class PendingFreshnessOutageTests : PrivateRedisGatewayTest
{
    // Long enough that no window lapses within the test, whatever the outage's timeouts cost.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:PendingFreshness"] = "00:00:30",
        ["Cache:RedisTimeout"] = "00:00:00.500",
    };

    [Fact]
    public async Task WhileRedisIsDown_RunningAnswersAreStillSharedWithinTheReplica()
    {
        var before = NewId("pending-");
        using (await GetJobAsync(before))
        {
        }

        await Redis.StopAsync();
        var during = NewId("pending-");
        for (var i = 0; i < 5; i++)
        {
            using var held = await GetJobAsync(before);
            using var taken = await GetJobAsync(during);
            Assert.Equal(HttpStatusCode.OK, held.StatusCode);
            Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
            Assert.StartsWith("Gateway; hit; ttl=", held.Header("Cache-Status"), StringComparison.Ordinal);
            if (i > 0)
            {
                Assert.StartsWith("Gateway; hit; ttl=", taken.Header("Cache-Status"), StringComparison.Ordinal);
            }
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(before));
        Assert.Equal(1, Upstream.Requests.CountForJob(during));
    }
}
