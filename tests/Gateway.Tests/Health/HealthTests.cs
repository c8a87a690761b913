using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Health;

public sealed class HealthTests : PrivateRedisGatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Cache:RedisTimeout"] = "00:00:00.500" };

    [Fact]
    public async Task Liveness_IsHealthyWithoutCheckingDependencies()
    {
        await Redis.StopAsync();
        using var response = await Client.GetAsync("/healthz", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("checks").GetArrayLength());
        Assert.Equal(0, Upstream.Requests.Count);
    }

    [Fact]
    public async Task Readiness_ListsEachCheck_AndRedisDownMeansDegradedButStillReady()
    {
        var healthy = await ReadyAsync();
        Assert.Equal("Healthy", healthy.Status);
        Assert.Equal(["cache", "keys", "upstream"], healthy.Checks.Keys.Order());

        await Redis.StopAsync();
        using (await GetJobAsync(NewId("done-")))
        {
        }

        var degraded = await ReadyAsync();
        Assert.Equal("Degraded", degraded.Status);
        Assert.Equal("Degraded", degraded.Checks["cache"]);
        Assert.Equal("Healthy", degraded.Checks["upstream"]);

        await Redis.StartAsync();
        await Eventually.Until(async () => (await ReadyAsync()).Status == "Healthy", TimeSpan.FromSeconds(15), "readiness recovers with Redis");
    }

    private async Task<(string Status, Dictionary<string, string> Checks)> ReadyAsync()
    {
        using var response = await Client.GetAsync("/readyz", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var checks = body.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString()!);
        return (body.RootElement.GetProperty("status").GetString()!, checks);
    }
}
