using System.Net;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Jobs;

public sealed class CoalescingTests(RedisServer redis) : GatewayTest
{
    private const int Callers = 64;

    protected override string? RedisConnectionString => redis.ConnectionString;

    // With the running window off, as before it existed: every read of a running job reaches the upstream.
    // That it stays exactly so is part of what these tests keep proving; the window has its own tests.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Jobs:PendingFreshness"] = "00:00:00" };

    [Theory]
    [InlineData("done-")]
    [InlineData("failed-")]
    public async Task TerminalJob_64ConcurrentReads_ReachUpstreamOnce_AndAllGetTheSameBytes(string prefix)
    {
        var id = NewId(prefix);
        var results = await ReadConcurrentlyWhileUpstreamHoldsAsync(id);

        Assert.Equal(1, Upstream.Requests.CountForJob(id));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Equal(results[0].Body, r.Body));
        Assert.Equal(Callers - 1, results.Count(r => r.CacheStatus!.Contains("collapsed", StringComparison.Ordinal)));
        Assert.Single(results, r => r.CacheStatus == "Gateway; fwd=uri-miss; stored");
    }

    [Fact]
    public async Task PendingJob_ConcurrentReadsShareOneUpstreamRequest_ButTheNextReadAsksAgain()
    {
        var id = NewId("pending-");
        var results = await ReadConcurrentlyWhileUpstreamHoldsAsync(id);
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
        Assert.All(results, r => Assert.Contains("Pending", System.Text.Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal));

        Upstream.Script.Clear(id);
        await ReadAsync(id);
        Assert.Equal(2, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ACallerThatGivesUp_DoesNotFailTheOthers_AndTheResultIsStillStored()
    {
        var id = NewId("done-");
        var gate = Upstream.Script.Hold(id);
        using var impatient = new CancellationTokenSource();
        var leaving = Client.GetAsync("/job/" + id, impatient.Token);
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        var staying = ReadAsync(id);
        await WaitUntilAllCallersAreWaiting(2);

        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        gate.Release();

        Assert.Equal(HttpStatusCode.OK, (await staying).Status);
        using var after = await GetJobAsync(id);
        Assert.Equal("Gateway; hit", after.Header("Cache-Status"));
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    /// <summary>
    /// All callers start while the upstream holds its answer, and it is released only once every caller is parked
    /// on the gateway's flight: the deterministic setting in which coalescing either happens or visibly does not.
    /// </summary>
    private async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)[]> ReadConcurrentlyWhileUpstreamHoldsAsync(string id)
    {
        var gate = Upstream.Script.Hold(id);
        var reads = Enumerable.Range(0, Callers).Select(_ => ReadAsync(id)).ToArray();
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        await WaitUntilAllCallersAreWaiting();
        gate.Release();
        return await Task.WhenAll(reads);
    }

    private Task WaitUntilAllCallersAreWaiting(int callers = Callers) =>
        Eventually.Until(() => Gateway.Services.GetRequiredService<JobReader>().Waiting >= callers);

    private async Task<(HttpStatusCode Status, byte[] Body, string? CacheStatus)> ReadAsync(string id)
    {
        using var response = await GetJobAsync(id);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Cancel), response.Header("Cache-Status"));
    }
}
