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
        var instance = "failover-" + Guid.NewGuid().ToString("N")[..12] + ":";
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        const string id = "done-failover";
        var gate = upstream.Script.Hold(id);

        // Upstream:Timeout 3 s and no budget wait: the fetch lease lasts 4 s.
        await using var doomed = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["Upstream__Timeout"] = "00:00:03",
            ["Upstream__BudgetWait"] = "00:00:00",
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["Cache__InstanceName"] = instance,
        });
        using var doomedClient = new HttpClient { BaseAddress = await doomed.Listening(TimeSpan.FromSeconds(30)) };
        doomedClient.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);

        await using var survivor = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Upstream:Timeout"] = "00:00:03",
            ["Upstream:BudgetWait"] = "00:00:00",
            ["Cache:InstanceName"] = instance,
        });
        using var survivorClient = survivor.CreateClient();

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
        var instance = "failover-" + Guid.NewGuid().ToString("N")[..12] + ":";
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var gate = upstream.Script.Hold(id);

        // Upstream:Timeout 3 s and no budget wait: the fetch lease lasts 4 s. The window is the default second.
        await using var doomed = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["Upstream__Timeout"] = "00:00:03",
            ["Upstream__BudgetWait"] = "00:00:00",
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["Cache__InstanceName"] = instance,
        });
        using var doomedClient = new HttpClient { BaseAddress = await doomed.Listening(TimeSpan.FromSeconds(30)) };
        doomedClient.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);

        await using var survivor = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Upstream:Timeout"] = "00:00:03",
            ["Upstream:BudgetWait"] = "00:00:00",
            ["Cache:InstanceName"] = instance,
        });
        using var survivorClient = survivor.CreateClient();

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
}
