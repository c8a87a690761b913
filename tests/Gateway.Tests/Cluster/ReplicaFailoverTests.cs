using System.Net;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Reducto.StandIn;

namespace Gateway.Tests.Cluster;

/// <summary>A replica that dies while it holds a job's lease delays the others by at most one lease, never forever.</summary>
public sealed class ReplicaFailoverTests(RedisServer redis)
{
    [Fact]
    public async Task AHolderKilledMidFetch_IsReplacedWhenItsLeaseLapses()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        const string id = "done-failover";
        var gate = upstream.Script.Hold(id);

        await using var pair = await DoomedPair.StartAsync(upstream, redis.ConnectionString);
        var (doomed, doomedClient, survivor, survivorClient) = (pair.Doomed, pair.DoomedClient, pair.Survivor, pair.SurvivorClient);

        // The doomed replica takes the lease and its upstream call hangs; the survivor's reader waits on the lease.
        _ = doomedClient.GetAsync("/job/" + id, cancel);
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        var started = DateTime.UtcNow;
        var read = survivorClient.GetAsync("/job/" + id, cancel);
        await Eventually.Until(() => survivor.Services.GetRequiredService<JobReader>().Waiting == 1);
        Assert.Equal(1, upstream.Requests.CountForJob(id));

        await doomed.KillAsync();
        gate.Release();
        using var response = await read;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, upstream.Requests.CountForJob(id));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task ARefresherKilledMidRead_IsReplacedWhenItsLeaseLapses_AndItsPollersShareTheNewAnswer()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var gate = upstream.Script.Hold(id);

        // The window is the default second.
        await using var pair = await DoomedPair.StartAsync(upstream, redis.ConnectionString);
        var (doomed, doomedClient, survivor, survivorClient) = (pair.Doomed, pair.DoomedClient, pair.Survivor, pair.SurvivorClient);

        // The doomed replica refreshes the running job and its upstream call hangs; the survivor's pollers wait on it.
        _ = doomedClient.GetAsync("/job/" + id, cancel);
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        var started = DateTime.UtcNow;
        var polls = Enumerable.Range(0, 10).Select(_ => survivorClient.GetAsync("/job/" + id, cancel)).ToArray();
        await Eventually.Until(() => survivor.Services.GetRequiredService<JobReader>().Waiting == 10);

        await doomed.KillAsync();
        gate.Release();
        var answers = await Task.WhenAll(polls);
        var waited = DateTime.UtcNow - started;

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(2, upstream.Requests.CountForJob(id));
        Assert.InRange(waited, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));

        // One of them read for the rest; the others shared its answer as it arrived.
        Assert.Single(answers, a => a.Header("Cache-Status") == "Gateway; fwd=uri-miss");
        Assert.Equal(9, answers.Count(a => a.Header("Cache-Status")?.StartsWith("Gateway; hit; ttl=", StringComparison.Ordinal) == true));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    /// <summary>
    /// A gateway process that a test kills, and an in-process survivor on the same Redis keyspace. Upstream:Timeout
    /// 3 s and no budget wait: the fetch lease lasts 4 s.
    /// </summary>
    private sealed class DoomedPair : IAsyncDisposable
    {
        public required GatewayProcess Doomed { get; init; }

        public required HttpClient DoomedClient { get; init; }

        public required GatewayFactory Survivor { get; init; }

        public required HttpClient SurvivorClient { get; init; }

        public static async Task<DoomedPair> StartAsync(StandInServer upstream, string redis)
        {
            var instance = "failover-" + Guid.NewGuid().ToString("N")[..12] + ":";
            var doomed = GatewayProcess.Start(new Dictionary<string, string>
            {
                ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
                ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
                ["Upstream__Timeout"] = "00:00:03",
                ["Upstream__BudgetWait"] = "00:00:00",
                ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
                ["ConnectionStrings__Redis"] = redis,
                ["Cache__InstanceName"] = instance,
            });
            var doomedClient = new HttpClient { BaseAddress = await doomed.Listening(TimeSpan.FromSeconds(30)) };
            doomedClient.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);
            var survivor = new GatewayFactory(upstream.BaseAddress, redis, new Dictionary<string, string?>
            {
                ["Upstream:Timeout"] = "00:00:03",
                ["Upstream:BudgetWait"] = "00:00:00",
                ["Cache:InstanceName"] = instance,
            });
            return new DoomedPair { Doomed = doomed, DoomedClient = doomedClient, Survivor = survivor, SurvivorClient = survivor.CreateClient() };
        }

        public async ValueTask DisposeAsync()
        {
            SurvivorClient.Dispose();
            await Survivor.DisposeAsync();
            DoomedClient.Dispose();
            await Doomed.DisposeAsync();
        }
    }
}
