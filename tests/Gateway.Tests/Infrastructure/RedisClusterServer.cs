using System.Diagnostics;
using System.Globalization;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster as companies run it: three primaries and three replicas (<c>redis-server --cluster-enabled
/// yes</c>, joined by <c>redis-cli --cluster create --cluster-replicas 1</c>), on free loopback ports, in a private
/// temporary directory. Started once per run for the tests in <see cref="RedisClusterTests"/> and stopped after. A node
/// timeout of one second makes a killed primary's replica take over in about two seconds instead of fifteen.
/// </summary>
public sealed class RedisClusterServer : IAsyncLifetime
{
    private const int Nodes = 6;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-redis-cluster-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<RedisNode> _nodes = [];

    public IReadOnlyList<RedisNode> All => _nodes;

    /// <summary>Every node, as an operator lists the cluster's seeds; the client discovers the rest.</summary>
    public string ConnectionString => string.Join(",", _nodes.Select(static n => n.EndPoint));

    public async ValueTask InitializeAsync()
    {
        // Each node needs a client port and a cluster-bus port; all twelve are picked together.
        var ports = RedisNode.FreePorts(Nodes * 2);
        for (var i = 0; i < Nodes; i++)
        {
            var port = ports[i].ToString(CultureInfo.InvariantCulture);
            _nodes.Add(new RedisNode(ports[i], Path.Combine(_directory, port),
                "--port", port, "--cluster-port", ports[Nodes + i].ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1000",
                // A replica takes over however long it was cut off, as the test kills primaries back to back.
                "--cluster-replica-validity-factor", "0",
                "--save", "", "--appendonly", "no", "--protected-mode", "no"));
        }

        await Task.WhenAll(_nodes.Select(static n => n.StartAsync()));
        await RedisCliAsync(["--cluster", "create", .. _nodes.Select(static n => n.EndPoint), "--cluster-replicas", "1", "--cluster-yes"]);
        await WaitHealthyAsync();
    }

    /// <summary>The primary that serves <paramref name="key"/>'s hash slot now.</summary>
    public async Task<RedisNode> PrimaryForAsync(string key)
    {
        var slot = (long)(await Running().First().SendAsync("CLUSTER", "KEYSLOT", key))!;
        foreach (var node in Running())
        {
            if (await node.InfoFieldAsync("role", "INFO", "replication") == "master" && await OwnsAsync(node, slot))
            {
                return node;
            }
        }

        throw new InvalidOperationException($"No running primary owns slot {slot}.");
    }

    /// <summary>
    /// SIGKILL of a primary, then waits until one of its replicas serves <paramref name="key"/>'s slot in a healthy
    /// cluster; returns how long the takeover took.
    /// </summary>
    public async Task<TimeSpan> KillPrimaryAsync(string key)
    {
        var primary = await PrimaryForAsync(key);
        var clock = Stopwatch.StartNew();
        await primary.KillAsync();
        while (true)
        {
            try
            {
                if (await PrimaryForAsync(key) != primary)
                {
                    break;
                }
            }
            catch (InvalidOperationException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                // Nobody serves the slot yet.
            }

            await Task.Delay(20);
        }

        await WaitHealthyAsync();
        return clock.Elapsed;
    }

    /// <summary>
    /// Waits until a replica has taken over from a killed primary: every slot served and the cluster state ok as seen
    /// by every running node.
    /// </summary>
    public async Task WaitHealthyAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var healthy = true;
            foreach (var node in Running())
            {
                try
                {
                    healthy &= await node.InfoFieldAsync("cluster_state", "CLUSTER", "INFO") == "ok" &&
                               await node.InfoFieldAsync("cluster_slots_ok", "CLUSTER", "INFO") == "16384";
                }
                catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    healthy = false;
                }
            }

            if (healthy)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("The Redis cluster did not become healthy in time.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Brings every killed node back (it rejoins as a replica of whoever took over) and waits for a full,
    /// healthy cluster again, so the next test starts from three primaries and three replicas.
    /// </summary>
    public async Task RestoreAsync()
    {
        foreach (var node in _nodes.Where(static n => !n.IsRunning))
        {
            await node.StartAsync();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var nodes = await _nodes[0].SendAsync("CLUSTER", "NODES") as string ?? string.Empty;
            // Fields: id address flags primary ping pong epoch link-state slots...
            var connected = nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => l.Split(' '))
                .Count(static f => f.Length > 7 && f[7] == "connected" && !f[2].Contains("fail", StringComparison.Ordinal));
            if (connected == Nodes)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("Killed cluster nodes did not rejoin in time:\n" + nodes);
            }

            await Task.Delay(50);
        }

        await WaitHealthyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
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

    private IEnumerable<RedisNode> Running() => _nodes.Where(static n => n.IsRunning);

    private static async Task<bool> OwnsAsync(RedisNode node, long slot)
    {
        // CLUSTER SHARDS needs Redis 7; CLUSTER NODES works from 3 and lists this node's own ranges on its "myself" line.
        var nodes = await node.SendAsync("CLUSTER", "NODES") as string ?? string.Empty;
        var myself = nodes.Split('\n').First(static l => l.Contains("myself", StringComparison.Ordinal));
        foreach (var range in myself.Split(' ').Skip(8))
        {
            var bounds = range.Split('-');
            if (bounds[0].StartsWith('['))
            {
                continue;
            }

            var from = long.Parse(bounds[0], CultureInfo.InvariantCulture);
            var to = bounds.Length > 1 ? long.Parse(bounds[1], CultureInfo.InvariantCulture) : from;
            if (slot >= from && slot <= to)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task RedisCliAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("redis-cli not found on PATH; install it with `apt-get install -y redis-tools`.", exception);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed: {await output}{await error}");
            }
        }
    }
}

/// <summary>
/// Tests on the one Redis Cluster of the run. They run one after another (some kill its primaries) and on their own,
/// after the parallel part of the suite: a failover under load takes the 2-core machine's CPU, which stretched other
/// tests' timeouts, and their load would skew its figures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisClusterTests : ICollectionFixture<RedisClusterServer>
{
    public const string Name = "redis cluster";
}
