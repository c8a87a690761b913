using Reducto.StandIn;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Several gateway replicas as a deployment runs them: separate hosts (each its own memory tier, single flight and
/// Redis connection) sharing one Redis keyspace and one upstream.
/// </summary>
public sealed class ReplicaSet : IAsyncDisposable
{
    private ReplicaSet(StandInServer upstream, GatewayFactory[] replicas)
    {
        Upstream = upstream;
        Replicas = replicas;
        Clients = [.. replicas.Select(static r => r.CreateClient())];
    }

    public StandInServer Upstream { get; }

    public IReadOnlyList<GatewayFactory> Replicas { get; }

    public IReadOnlyList<HttpClient> Clients { get; }

    /// <param name="time">One clock for every replica, as the hosts of a deployment share real time; the system clock when null.</param>
    public static async Task<ReplicaSet> StartAsync(int count, string? redis, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var upstream = await StandInServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        var shared = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Cache:InstanceName"] = "replicas-" + Guid.NewGuid().ToString("N")[..12] + ":",
        };
        var replicas = Enumerable.Range(0, count).Select(_ => new GatewayFactory(upstream.BaseAddress, redis, shared, time)).ToArray();
        var set = new ReplicaSet(upstream, replicas);

        // Start every host now, so each has joined the notice channel before a test sends its first request.
        foreach (var replica in replicas)
        {
            _ = replica.Services;
        }

        await Eventually.Until(() => replicas.All(static r => r.Logs.GetSnapshot().Any(static l => l.Id.Name == "JoinedReplicas")) || redis is null,
            because: "every replica subscribes to job notices");
        return set;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients)
        {
            client.Dispose();
        }

        foreach (var replica in Replicas)
        {
            await replica.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
