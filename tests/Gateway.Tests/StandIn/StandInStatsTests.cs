using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

/// <summary>
/// <c>GET /_standin/stats</c>, which benchmarks read from a stand-in running as its own process: request counts, reads
/// per job, and when each <c>after-Ns-*</c> job turns Completed, on the stand-in's clock.
/// </summary>
public sealed class StandInStatsTests : IAsyncLifetime
{
    private StandInServer _standIn = null!;
    private HttpClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _standIn = await StandInServer.StartAsync(cancellationToken: Cancel);
        _client = new HttpClient { BaseAddress = _standIn.BaseAddress };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "stand-in-key");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _standIn.DisposeAsync();
    }

    [Fact]
    public async Task Stats_CountEveryRequestAndTheReadsOfEachJob_ButNotThemselves()
    {
        var after = "after-30s-" + Guid.NewGuid().ToString("N");
        var done = "done-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 3; i++)
        {
            await GetAsync("job/" + after);
        }

        await GetAsync("job/" + done);
        await GetAsync("version");

        await StatsAsync();
        using var stats = await StatsAsync();

        Assert.Equal(5, stats.RootElement.GetProperty("requests").GetInt32());
        var reads = stats.RootElement.GetProperty("jobReads");
        Assert.Equal(3, reads.GetProperty(after).GetInt32());
        Assert.Equal(1, reads.GetProperty(done).GetInt32());
    }

    [Fact]
    public async Task AnAfterJob_CompletesItsSecondsAfterItsFirstRead_AsTheStatsSay()
    {
        var id = "after-7s-" + Guid.NewGuid().ToString("N");
        var before = DateTimeOffset.UtcNow;
        await GetAsync("job/" + id);
        var firstReadAnswered = DateTimeOffset.UtcNow;
        await GetAsync("job/" + id);

        using var stats = await StatsAsync();

        var completesAt = stats.RootElement.GetProperty("completions").GetProperty(id).GetDateTimeOffset();
        Assert.InRange(completesAt, before.AddSeconds(7), firstReadAnswered.AddSeconds(7));
    }

    [Fact]
    public async Task StatsForOneJob_ReportOnlyThatJob_WithTheArrivalOfEachRead()
    {
        var id = "after-30s-" + Guid.NewGuid().ToString("N");
        var other = "after-30s-" + Guid.NewGuid().ToString("N");
        var before = DateTimeOffset.UtcNow;
        await GetAsync("job/" + id);
        await GetAsync("job/" + id);
        await GetAsync("job/" + other);

        using var stats = await StatsAsync("?job=" + id);

        var root = stats.RootElement;
        Assert.Equal([id], root.GetProperty("jobReads").EnumerateObject().Select(p => p.Name));
        Assert.Equal([id], root.GetProperty("completions").EnumerateObject().Select(p => p.Name));
        var times = root.GetProperty("readTimes").EnumerateArray().Select(t => t.GetDateTimeOffset()).ToArray();
        Assert.Equal(2, times.Length);
        Assert.All(times, t => Assert.InRange(t, before, DateTimeOffset.UtcNow));
    }

    private async Task GetAsync(string path)
    {
        using var response = await _client.GetAsync(path, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<JsonDocument> StatsAsync(string query = "") => StandInStatsClient.GetAsync(_standIn, query);
}
