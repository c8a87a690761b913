using System.Net;
using Gateway.Caching;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Redis;

/// <summary>Stops and restarts a private redis-server mid-test; the shared one is never touched.</summary>
public sealed class RedisOutageTests : PrivateRedisGatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Cache:RedisTimeout"] = "00:00:00.500" };

    [Fact]
    public async Task RedisStoppedMidTest_EveryRequestIsStillAnswered_AndCachingResumesWhenItReturns()
    {
        var before = NewId("done-");
        using (var stored = await GetJobAsync(before))
        {
            Assert.Equal("Gateway; fwd=uri-miss; stored", stored.Header("Cache-Status"));
        }

        await Redis.StopAsync();

        var during = NewId("done-");
        for (var i = 0; i < 20; i++)
        {
            using var response = await GetJobAsync(i % 2 == 0 ? during : before);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The memory tier keeps serving what it holds, and takes new jobs, while Redis is down.
            var expected = i == 0 ? "Gateway; fwd=uri-miss; stored; detail=cache-unavailable" : "Gateway; hit";
            Assert.Equal(expected, response.Header("Cache-Status"));
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(before));
        Assert.Equal(1, Upstream.Requests.CountForJob(during));
        Assert.Single(Gateway.Logs.GetSnapshot(), r => r.Id.Id == RedisLog.UnavailableId);

        await Redis.StartAsync();
        var after = string.Empty;
        string? last = null;
        await Eventually.Until(async () =>
        {
            // A fresh job each time: one read while Redis is still down would keep it in the memory tier.
            after = NewId("done-");
            using var response = await GetJobAsync(after);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            last = response.Header("Cache-Status");
            return last == "Gateway; fwd=uri-miss; stored";
        }, TimeSpan.FromSeconds(20), () => $"the gateway stores again once Redis is back (last: {last}; cache log: " +
            string.Join(" | ", Gateway.Logs.GetSnapshot().Where(r => r.Category?.Contains("Redis", StringComparison.Ordinal) == true)
                .Select(r => r.Message + " " + r.Exception?.Message)) + ")");

        using var hit = await GetJobAsync(after);
        Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));

        // And it is in Redis itself, not only in this process's memory tier.
        var key = Gateway.Services.GetRequiredService<RedisKeys>().StoredJob(after).ToString();
        Assert.Equal(":1", await Redis.SendAsync("EXISTS", key));
        Assert.Contains(Gateway.Logs.GetSnapshot(), r => r.Id.Id == RedisLog.RecoveredId);
    }

    [Fact]
    public async Task RedisStalled_RequestsAreAnsweredFromUpstreamWithinTheRedisTimeout()
    {
        using (var warm = await GetJobAsync(NewId("done-")))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var id = NewId("done-");
        var sleeping = Redis.SendAsync("DEBUG", "SLEEP", "3");
        // Stalled once a PING goes unanswered for half a second; the request then meets a Redis that is asleep.
        await Eventually.Until(async () => !await Redis.AnswersWithinAsync(TimeSpan.FromMilliseconds(500)), because: "Redis stops answering");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await GetJobAsync(id);
        watch.Stop();
        await sleeping;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("detail=cache-unavailable", response.Header("Cache-Status"), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"a stalled Redis held the request for {watch.Elapsed}");
    }
}
