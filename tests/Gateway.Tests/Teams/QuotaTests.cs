using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Caching;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Teams;

/// <summary>A team's daily quota of upstream calls on one gateway with its in-process store, on a fake clock.</summary>
public sealed class QuotaTests : GatewayTest
{
    private const int Quota = 3;

    // A minute before midnight UTC today (the stand-in dates its jobs now, so they are still fresh after midnight).
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(DateTime.UtcNow.Date.AddDays(1).AddMinutes(-1), TimeSpan.Zero));

    protected override TimeProvider Time => _time;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Teams:team-a:UpstreamCallsPerDay"] = Quota.ToString(System.Globalization.CultureInfo.InvariantCulture),

        // The clock is up to a day ahead of the stand-in's, which dates jobs by the real time: with the default 12 h
        // retention a job read before noon UTC would already be past it and never stored.
        ["Cache:JobRetention"] = "2.00:00:00",
    };

    [Fact]
    public async Task PastTheQuota_Misses429QuotaExceeded_UntilMidnight_HitsStillServed_HeadersSayWhatIsLeft()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        // A Failed job: terminal and cached, with no presigned URL that the fake clock would find expired.
        var done = "failed-cached-" + run;
        var remaining = new List<string>();
        foreach (var id in new[] { done, "failed-" + run, "pending-" + run })
        {
            using var read = await ReadAsync(id);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal($"\"daily\";q={Quota};w=86400", Single(read, "RateLimit-Policy"));
            remaining.Add(Single(read, "RateLimit"));
        }

        Assert.Equal(["\"daily\";r=2;t=60", "\"daily\";r=1;t=60", "\"daily\";r=0;t=60"], remaining);

        var refused = "pending-refused-" + run;
        using (var response = await ReadAsync(refused))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal("false", Single(response, "x-should-retry"));
            Assert.Equal("60", Single(response, "Retry-After"));
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("urn:gateway:problem:quota-exceeded", problem.RootElement.GetProperty("type").GetString());
            Assert.Equal(Quota, problem.RootElement.GetProperty("quota").GetInt32());
            Assert.Contains("Teams:team-a:UpstreamCallsPerDay", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, Upstream.Requests.CountForJob(refused));

        // A cached job costs nothing, quota or not; forwarded calls count like job reads.
        using (var hit = await ReadAsync(done))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal("\"daily\";r=0;t=60", Single(hit, "RateLimit"));
        }

        var forwardedBefore = Upstream.Requests.Count;
        using (var parse = await Client.PostAsync("/parse_async", new StringContent("{}", Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, parse.StatusCode);
        }

        Assert.Equal(forwardedBefore, Upstream.Requests.Count);

        // Midnight UTC: a new day, a new quota.
        _time.Advance(TimeSpan.FromSeconds(61));
        using var after = await ReadAsync(refused);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("\"daily\";r=2;t=86399", Single(after, "RateLimit"));
    }

    [Fact]
    public async Task TeamWithoutAQuota_GetsNoQuotaHeaders_AndIsNeverRefusedForOne()
    {
        using var client = Gateway.CreateClient(GatewayFactory.TeamBKey);
        for (var i = 0; i < Quota + 2; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            using var response = await client.GetAsync("/job/" + NewId("pending-"), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("RateLimit"));
        }
    }

    private async Task<HttpResponseMessage> ReadAsync(string id)
    {
        // The upstream budget refills on the same fake clock: a second per read keeps a slot free.
        _time.Advance(TimeSpan.FromSeconds(0.1));
        return await GetJobAsync(id);
    }

    private static string Single(HttpResponseMessage response, string header) =>
        Assert.Single(response.Headers.TryGetValues(header, out var values) ? values : response.Content.Headers.GetValues(header));
}

/// <summary>The quota is the deployment's: replicas sharing a Redis count together, and a Redis outage refuses nothing it allows.</summary>
public sealed class SharedQuotaTests(RedisServer redis)
{
    private const int Quota = 10;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Teams:team-a:UpstreamCallsPerDay"] = Quota.ToString(System.Globalization.CultureInfo.InvariantCulture),

        // The clock is up to a day ahead of the stand-in's, which dates jobs by the real time: with the default 12 h
        // retention a job read before noon UTC would already be past it and never stored.
        ["Cache:JobRetention"] = "2.00:00:00",
    };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoReplicas_TogetherMakeExactlyTheQuotasUpstreamCalls()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, Settings);
        var prefix = "pending-quota-" + Guid.NewGuid().ToString("N")[..8] + "-";

        var statuses = await Task.WhenAll(Enumerable.Range(0, 3 * Quota).Select(async i =>
        {
            using var response = await set.Clients[i % 2].GetAsync("/job/" + prefix + i, Cancel);
            return response.StatusCode;
        }));

        Assert.Equal(Quota, statuses.Count(static s => s == HttpStatusCode.OK));
        Assert.Equal(2 * Quota, statuses.Count(static s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(Quota, set.Upstream.Requests.All.Count(r => r.Path.StartsWith("/job/" + prefix, StringComparison.Ordinal)));
    }
}

/// <summary>Redis stopped mid-test: the quota keeps counting here, and nothing is refused that it allows.</summary>
public sealed class QuotaRedisOutageTests : PrivateRedisGatewayTest
{
    private const int Quota = 6;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Teams:team-a:UpstreamCallsPerDay"] = Quota.ToString(System.Globalization.CultureInfo.InvariantCulture),

        // The clock is up to a day ahead of the stand-in's, which dates jobs by the real time: with the default 12 h
        // retention a job read before noon UTC would already be past it and never stored.
        ["Cache:JobRetention"] = "2.00:00:00",
        ["Cache:RedisTimeout"] = "00:00:00.300",
    };

    [Fact]
    public async Task RedisDown_CallsWithinTheQuotaAnswered_ThenTheQuotaStillHolds()
    {
        var prefix = NewId("pending-outage-") + "-";
        var statuses = new List<HttpStatusCode>();
        async Task ReadAsync(int i)
        {
            using var response = await GetJobAsync(prefix + i);
            statuses.Add(response.StatusCode);
        }

        await ReadAsync(0);
        await ReadAsync(1);
        await Redis.StopAsync();
        await ReadAsync(2);
        await ReadAsync(3);
        await Redis.StartAsync();
        await Eventually.Until(() => Gateway.Services.GetRequiredService<ResponseCache>().IsAvailable, TimeSpan.FromSeconds(15), "Redis back");

        for (var i = 4; i < 4 + Quota; i++)
        {
            await ReadAsync(i);
        }

        Assert.DoesNotContain(statuses, static s => (int)s >= 500 || s == HttpStatusCode.Unauthorized);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(4));
        // The restarted Redis kept nothing (it runs without persistence, as a cache may): it learns the two calls
        // counted during the outage, not the two before it. So between 6 and 8 calls in all, and then refusals.
        var admitted = statuses.Count(static s => s == HttpStatusCode.OK);
        Assert.InRange(admitted, Quota, Quota + 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }
}
