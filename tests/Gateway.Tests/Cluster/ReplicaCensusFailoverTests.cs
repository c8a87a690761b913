using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Cluster;

/// <summary>
/// A Redis that comes back without the replica census (restarted without persistence, or a failover whose last
/// writes never reached the replica) must not make the first replica back think it is alone and take the whole
/// budget: the split stands until every live replica has had a silence window to stamp itself again.
/// </summary>
public sealed class ReplicaCensusFailoverTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public ValueTask InitializeAsync() => new(_redis.StartAsync());

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task ARedisThatForgotTheCensus_NeverHandsOneReplicaTheWholeBudget()
    {
        await using var set = await ReplicaSet.StartAsync(3, _redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Upstream:JobPollsPerSecond"] = "30",
            ["Cache:RedisTimeout"] = "00:00:00.200",
        });
        // Counted by the log, not the budget: the census shares the budget, then logs it, and a log written after the
        // snapshot below would read as a re-split.
        await Eventually.Until(() => set.Replicas.All(static r => Budget(r).Replicas == 3 && r.Logs.GetSnapshot().Any(static l =>
            l.Id.Id == ClusterLog.BudgetSharedId && l.Message.StartsWith("3 replicas", StringComparison.Ordinal))), TimeSpan.FromSeconds(15), "all three count each other");
        var before = set.Replicas.Select(static r => r.Logs.GetSnapshot().Count).ToArray();

        // Back empty at once: a replica whose count fell in the gap sees a failure, one whose did not finds its own
        // stamp gone. Either way the others' stamps are missing when it counts.
        await _redis.StopAsync();
        await _redis.StartAsync();
        var census = ReplicaSetKey(set.Replicas[0]);
        await Eventually.Until(async () => await _redis.SendAsync("ZCARD", census) == ":3", TimeSpan.FromSeconds(15), "every replica stamps itself again");
        await Eventually.Until(() => set.Replicas.All(static r => r.Logs.GetSnapshot().Any(static l => l.Id.Id == ClusterLog.CensusHeldId)),
            TimeSpan.FromSeconds(15), "every replica noticed the census was lost");

        // No replica ever re-split the budget on a partial count.
        for (var i = 0; i < set.Replicas.Count; i++)
        {
            var shares = set.Replicas[i].Logs.GetSnapshot().Skip(before[i]).Where(static l => l.Id.Id == ClusterLog.BudgetSharedId).Select(static l => l.Message).ToArray();
            Assert.True(shares.Length == 0, $"replica {i} re-split the budget: {string.Join("; ", shares)}");
            Assert.Equal(10, Budget(set.Replicas[i]).JobPollsPerSecond);
        }
    }

    private static UpstreamBudget Budget(GatewayFactory replica) => replica.Services.GetRequiredService<UpstreamBudget>();

    private static string ReplicaSetKey(GatewayFactory replica) =>
        replica.Services.GetRequiredService<RedisKeys>().Census.ToString();
}
