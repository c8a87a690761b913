using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Cluster;

/// <summary>The upstream budget is configured for the deployment; replicas sharing a Redis split it between them.</summary>
[Collection(WallClockTests.Name)]
public sealed class ReplicaBudgetTests(RedisServer redis)
{
    private const int JobPollsPerSecond = 30;
    private const int ArrivalJitter = 2;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Upstream:JobPollsPerSecond"] = JobPollsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Upstream:BudgetWait"] = "00:00:00.200",
    };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThreeReplicasFlooding_StayUnderTheDeploymentsRate_AndAReplicaLeavingHandsOnItsShare()
    {
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, Settings);
        await Eventually.Until(() => set.Replicas.All(static r => Budget(r).JobPollsPerSecond == JobPollsPerSecond / 3),
            TimeSpan.FromSeconds(15), "every replica takes a third of the rate");

        // Every read is a different running job: nothing is cached or coalesced, each one costs a poll.
        var clock = Stopwatch.StartNew();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var prefix = "pending-" + Guid.NewGuid().ToString("N")[..8] + "-";
        await Task.WhenAll(set.Clients.SelectMany(client => Enumerable.Range(0, 8).Select(loop => Task.Run(async () =>
        {
            for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(2.5); i++)
            {
                using var response = await client.GetAsync($"/job/{prefix}{loop}-{i}-{client.GetHashCode()}", Cancel);
                statuses.Add(response.StatusCode);
            }
        }, Cancel))));

        var polls = set.Upstream.Requests.All.Where(r => r.Path.StartsWith("/job/" + prefix, StringComparison.Ordinal)).Select(r => r.At);
        TestContext.Current.TestOutputHelper!.WriteLine($"total {polls.Count()} statuses {string.Join(",", statuses.GroupBy(s => s).Select(g => g.Key + "=" + g.Count()))}");
        // Admissions are spaced by the replicas' limiters; arrival times at the stand-in can bunch by a call or two
        // when the test machine is loaded (31 seen in a full-suite run). Without the split it is 83.
        Assert.InRange(RequestWindows.MaxInAnyWindow(polls, TimeSpan.FromSeconds(1)), 1, JobPollsPerSecond + ArrivalJitter);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        await set.Replicas[2].DisposeAsync();
        await Eventually.Until(() => set.Replicas.Take(2).All(static r => Budget(r).JobPollsPerSecond == JobPollsPerSecond / 2),
            TimeSpan.FromSeconds(15), "the two replicas left share the rate");
    }

    private static UpstreamBudget Budget(GatewayFactory replica) => replica.Services.GetRequiredService<UpstreamBudget>();
}
