using System.Globalization;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Sentinel deployment: a primary, one replica and three sentinels (<c>redis-server sentinel.conf
/// --sentinel</c>, quorum two) watching it as service <see cref="ServiceName"/>, on free loopback ports in a private
/// temporary directory. Started once per run for the tests in <see cref="RedisSentinelTests"/> and stopped after. A
/// primary silent for one second is judged down, so a hard kill fails over in about two seconds instead of thirty.
/// </summary>
public sealed class RedisSentinelServer : IAsyncLifetime
{
    public const string ServiceName = "gateway";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-redis-sentinel-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<RedisNode> _data = [];
    private readonly List<RedisNode> _sentinels = [];

    /// <summary>The sentinels and the service name, as an operator writes it; the client asks them for the primary.</summary>
    public string ConnectionString => string.Join(",", _sentinels.Select(static s => s.EndPoint)) + ",serviceName=" + ServiceName;

    public async ValueTask InitializeAsync()
    {
        var ports = RedisNode.FreePorts(5);
        foreach (var port in ports.Take(2))
        {
            var text = port.ToString(CultureInfo.InvariantCulture);
            _data.Add(new RedisNode(port, Path.Combine(_directory, text),
                "--port", text, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"));
        }

        await _data[0].StartAsync();
        await _data[1].StartAsync("--replicaof", "127.0.0.1", _data[0].Port.ToString(CultureInfo.InvariantCulture));

        foreach (var port in ports.Skip(2))
        {
            var directory = Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(directory);

            // Sentinels rewrite their configuration file as they learn the deployment, so each has its own.
            var configuration = Path.Combine(directory, "sentinel.conf");
            await File.WriteAllTextAsync(configuration, string.Join('\n',
                $"port {port}",
                "bind 127.0.0.1",
                "protected-mode no",
                $"dir {directory}",
                $"sentinel monitor {ServiceName} 127.0.0.1 {_data[0].Port} 2",
                $"sentinel down-after-milliseconds {ServiceName} 1000",
                $"sentinel failover-timeout {ServiceName} 5000",
                $"sentinel parallel-syncs {ServiceName} 1",
                string.Empty));
            _sentinels.Add(new RedisNode(port, directory, configuration, "--sentinel"));
        }

        await Task.WhenAll(_sentinels.Select(static s => s.StartAsync()));
        await WaitSettledAsync();
    }

    /// <summary>The node the sentinels name as primary now.</summary>
    public async Task<RedisNode> PrimaryAsync()
    {
        var address = (object?[])(await _sentinels[0].SendAsync("SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName))!;
        var port = int.Parse((string)address[1]!, CultureInfo.InvariantCulture);
        return _data.Single(n => n.Port == port);
    }

    /// <summary><c>SENTINEL FAILOVER</c>: the planned switch an operator makes before maintenance.</summary>
    public async Task<RedisNode> FailoverAsync()
    {
        var old = await PrimaryAsync();
        await _sentinels[0].SendAsync("SENTINEL", "FAILOVER", ServiceName);
        return await WaitForNewPrimaryAsync(old);
    }

    /// <summary>SIGKILL of the primary; returns it once the sentinels have promoted the replica.</summary>
    public async Task<(RedisNode Killed, RedisNode Promoted)> KillPrimaryAsync()
    {
        var old = await PrimaryAsync();
        await old.KillAsync();
        return (old, await WaitForNewPrimaryAsync(old));
    }

    /// <summary>
    /// Brings a killed node back as a replica of the current primary (as the operator's configuration would, since
    /// sentinels rewrote it), and waits until the sentinels see a primary with a replica in sync again.
    /// </summary>
    public async Task RestoreAsync()
    {
        var primary = await PrimaryAsync();
        foreach (var node in _data.Where(static n => !n.IsRunning))
        {
            await node.StartAsync("--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture));
        }

        await WaitSettledAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _sentinels.Concat(_data))
        {
            await node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<RedisNode> WaitForNewPrimaryAsync(RedisNode old)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var primary = await PrimaryAsync();
            if (primary != old && primary.IsRunning && await primary.InfoFieldAsync("role", "INFO", "replication") == "master")
            {
                return primary;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("The sentinels did not promote a new primary in time.");
    }

    // Ready for a failover: every sentinel knows the other two (a hard kill needs a majority to agree) and the
    // replica, and the replica is in sync with the primary.
    private async Task WaitSettledAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var settled = true;
            foreach (var sentinel in _sentinels)
            {
                settled &= ((object?[])(await sentinel.SendAsync("SENTINEL", "SENTINELS", ServiceName))!).Length == _sentinels.Count - 1;
                var replicas = (object?[])(await sentinel.SendAsync("SENTINEL", "REPLICAS", ServiceName))!;
                settled &= replicas.Cast<object?[]>().Count(static r => Field(r, "flags") == "slave" && Field(r, "master-link-status") == "ok") == 1;
            }

            var primary = await PrimaryAsync();
            settled &= primary.IsRunning && await primary.InfoFieldAsync("role", "INFO", "replication") == "master";
            foreach (var node in _data.Where(n => n != primary))
            {
                settled &= await node.InfoFieldAsync("master_link_status", "INFO", "replication") == "up";
            }

            if (settled)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("The Sentinel deployment did not settle in time.");
            }

            await Task.Delay(100);
        }
    }

    private static string? Field(object?[] pairs, string name)
    {
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            if ((string?)pairs[i] == name)
            {
                return (string?)pairs[i + 1];
            }
        }

        return null;
    }
}

/// <summary>
/// Tests on the one Sentinel deployment of the run. They run one after another (some fail its primary over) and on
/// their own, after the parallel part of the suite, for the same reason as <see cref="RedisClusterTests"/>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisSentinelTests : ICollectionFixture<RedisSentinelServer>
{
    public const string Name = "redis sentinel";
}
