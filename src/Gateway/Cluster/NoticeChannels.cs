using System.Text;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// The Redis channels job notices travel on. On Redis Cluster a classic PUBLISH is copied to every node over the
/// cluster bus, so each notice (up to a megabyte) costs every node; sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7 and
/// later) keeps it within the shard that owns the channel's hash slot. Notices are spread over
/// <see cref="ShardCount"/> sharded channels by job id, so no one shard carries all of them. A single server, a
/// Sentinel deployment or a cluster older than 7 keeps the one classic channel, which older replicas also use.
/// </summary>
/// <remarks>
/// Pub/sub is at-most-once either way: a notice published while a shard fails over (or while a replica's
/// subscription is being restored) is lost for its listeners. That costs latency, never an answer: a coalesced reader
/// rechecks the lease within <see cref="ClusterFlight"/>'s recheck and reads the stored answer (or fetches once the
/// holder's lease lapses), and a long-polling watch polls again at its next interval.
/// </remarks>
internal sealed class NoticeChannels
{
    /// <summary>Enough channels to land on every primary of a typical cluster (3 to 10 primaries), few enough to subscribe cheaply.</summary>
    public const int ShardCount = 16;

    private readonly RedisChannel[] _channels;

    private NoticeChannels(RedisChannel[] channels, bool sharded)
    {
        _channels = channels;
        Sharded = sharded;
    }

    public bool Sharded { get; }

    /// <summary>Every channel a replica listens on.</summary>
    public IReadOnlyList<RedisChannel> All => _channels;

    public static NoticeChannels Classic(string name) => new([RedisChannel.Literal(name)], sharded: false);

    public static NoticeChannels ShardedOver(string name) =>
        new([.. Enumerable.Range(0, ShardCount).Select(shard => RedisChannel.Sharded(name + ":" + shard.ToString(System.Globalization.CultureInfo.InvariantCulture)))], sharded: true);

    /// <summary>
    /// Sharded channels when every connected server is a cluster node running Redis 7 or later, classic otherwise; null
    /// while no server is connected, as the choice cannot be made yet.
    /// </summary>
    public static NoticeChannels? For(IConnectionMultiplexer redis, string name)
    {
        var servers = redis.GetServers().Where(static s => s.IsConnected).ToArray();
        if (servers.Length == 0)
        {
            return null;
        }

        return servers.All(static s => s.ServerType == ServerType.Cluster && s.Version >= new Version(7, 0)) ? ShardedOver(name) : Classic(name);
    }

    /// <summary>The channel a job's notices go out on: the same on every replica, whatever process computes it.</summary>
    public RedisChannel For(string jobId)
    {
        if (_channels.Length == 1)
        {
            return _channels[0];
        }

        // FNV-1a over the id's bytes: stable across processes and runtimes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(jobId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return _channels[hash % (uint)_channels.Length];
    }
}
