using System.Globalization;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Caching;

/// <summary>Lifetimes read from the body, driven by a fake clock: no test here sleeps.</summary>
public sealed class ExpiryTests(RedisServer redis) : GatewayTest
{
    // Whole seconds, like the X-Amz-Date the test signs with, so the 3 s window is exactly 3 s; rounded up, so
    // Redis (whose own expiry runs on the real clock) never drops an entry before the gateway's clock says so.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));

    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override TimeProvider? Time => _clock;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:UrlExpiryMargin"] = "00:00:01",
    };

    [Fact]
    public async Task PresignedUrlExpiringInThreeSeconds_IsServedFromCacheUntilThenAndRefetchedAfter()
    {
        var id = NewId("scripted-");
        var signedAt = _clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        Upstream.Script.Respond(id, 200,
            "{\"status\":\"Completed\",\"result\":{\"response_type\":\"parse\",\"pdf_url\":" +
            $"\"https://bucket.s3.amazonaws.com/a.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signedAt}&X-Amz-Expires=3&X-Amz-Signature=abc\"}}}}");

        using (var first = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; fwd=uri-miss; stored", first.Header("Cache-Status"));
        }

        _clock.Advance(TimeSpan.FromSeconds(1));
        using (var stillFresh = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; hit", stillFresh.Header("Cache-Status"));
        }

        _clock.Advance(TimeSpan.FromSeconds(2));
        using (var expired = await GetJobAsync(id))
        {
            Assert.StartsWith("Gateway; fwd=uri-miss", expired.Header("Cache-Status"), StringComparison.Ordinal);
        }

        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task MaxTtl_BoundsEveryEntry()
    {
        var id = NewId("scripted-");
        Upstream.Script.Respond(id, 200, "{\"status\":\"Failed\",\"reason\":\"corrupt\"}");
        using (await GetJobAsync(id))
        {
        }

        _clock.Advance(TimeSpan.FromMinutes(59));
        using (var hit = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        using (var expired = await GetJobAsync(id))
        {
            Assert.StartsWith("Gateway; fwd=uri-miss", expired.Header("Cache-Status"), StringComparison.Ordinal);
        }

        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task SignedUrlWhoseExpiryCannotBeRead_GetsTheShortTtl()
    {
        var id = NewId("scripted-");
        Upstream.Script.Respond(id, 200,
            "{\"status\":\"Completed\",\"result\":{\"url\":\"https://b.s3.amazonaws.com/r.json?X-Amz-Signature=abc&X-Amz-Expires=soon\"}}");
        using (await GetJobAsync(id))
        {
        }

        _clock.Advance(TimeSpan.FromSeconds(59));
        using (var hit = await GetJobAsync(id))
        {
            Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
        }

        _clock.Advance(TimeSpan.FromSeconds(2));
        using (var expired = await GetJobAsync(id))
        {
            Assert.StartsWith("Gateway; fwd=uri-miss", expired.Header("Cache-Status"), StringComparison.Ordinal);
        }
    }
}
