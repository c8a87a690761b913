using Gateway.Jobs;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Tells every interested party about a job: listeners in this process at once, and, through the deployment's Redis
/// pub/sub channels (<see cref="NoticeChannels"/>: sharded on a Redis 7 cluster, one classic channel otherwise), every
/// other replica. A notice that cannot be published (no Redis, Redis down) still reaches
/// this process's listeners; other replicas then fall back on their own fetches, so a lost notice costs an upstream
/// request, never a wrong answer or an endless wait. It only carries notices: what one means is
/// <see cref="NoticeReads"/>'s to say, and it hears another replica's notice before this process's listeners do.
/// </summary>
internal sealed class JobNotices(
    SharedRedis redis, RedisKeys keys, IOptions<RedisOptions> options, NoticeReads reads, TimeProvider time)
{
    private readonly Dictionary<string, List<Action<JobNotice>>> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Revocation>> _revocations = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    // Redis disconnects a subscriber whose output buffer outgrows its pub/sub limit (32 MB by default), so large
    // bodies are not broadcast: a replica that misses a notice finds the lease free and fetches for itself.
    private const int MaxSharedBodyBytes = 1 << 20;

    private readonly string _channelName = keys.NoticeChannel.ToString();

    // Chosen once, from the first connected servers: every replica of a deployment sees the same servers, so they all
    // choose alike.
    private NoticeChannels? _channels;

    /// <summary>Tells this process's own notices apart from other replicas' when they come back over the channel.</summary>
    public Guid Origin { get; } = Guid.NewGuid();

    /// <summary>Whether notices can reach other replicas at all (a Redis is configured).</summary>
    public bool Shared => redis.IsConfigured;

    /// <summary>Calls <paramref name="listener"/> with every notice about the job until the subscription is disposed.</summary>
    public IDisposable Subscribe(string jobId, Action<JobNotice> listener)
    {
        lock (_gate)
        {
            if (!_listeners.TryGetValue(jobId, out var list))
            {
                _listeners[jobId] = list = [];
            }

            list.Add(listener);
        }

        return new Subscription(this, jobId, listener);
    }

    /// <summary>Starts listening for the next notice about the job.</summary>
    public NextNotice Next(string jobId) => new(this, jobId);

    public async Task PublishAsync(JobNotice notice)
    {
        Deliver(notice);
        if (notice.Body.Length <= MaxSharedBodyBytes)
        {
            // Before any server answered there is nothing to choose from; the classic channel then fails fast like any command.
            await PublishToReplicasAsync(notice);
        }
    }

    /// <summary>
    /// Tells every other replica the job is terminal (<see cref="JobNoticeKind.Revoked"/>) and waits until each of
    /// <paramref name="holders"/> has said it marked it so, or for <paramref name="within"/>: false then. Not delivered
    /// to this process's listeners, which wait for the job's answer, not for this.
    /// </summary>
    public async Task<bool> RevokeAsync(string jobId, IReadOnlyCollection<Guid> holders, TimeSpan within)
    {
        var revocation = new Revocation([.. holders.Where(holder => holder != Origin)]);
        if (revocation.Waiting.Count == 0)
        {
            return true;
        }

        lock (_gate)
        {
            if (!_revocations.TryGetValue(jobId, out var list))
            {
                _revocations[jobId] = list = [];
            }

            list.Add(revocation);
        }

        try
        {
            // A revoke that cannot be sent is still waited out: the holders' leases lapse on their own.
            await PublishToReplicasAsync(JobNotice.Revoke(jobId));
            await revocation.Done.Task.WaitAsync(within, time);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            lock (_gate)
            {
                if (_revocations.TryGetValue(jobId, out var list) && list.Remove(revocation) && list.Count == 0)
                {
                    _revocations.Remove(jobId);
                }
            }
        }
    }

    private Task<bool> PublishToReplicasAsync(JobNotice notice) =>
        redis.TryAsync(database =>
            database.PublishAsync((Channels(database.Multiplexer) ?? NoticeChannels.Classic(_channelName)).For(notice.JobId), notice.Serialize(Origin)));

    /// <summary>The channels chosen for this deployment, once a server has answered.</summary>
    internal NoticeChannels? ChosenChannels => Volatile.Read(ref _channels);

    /// <summary>Subscribes this process to the deployment's channels; StackExchange.Redis restores them after a reconnect.</summary>
    internal async Task SubscribeToReplicasAsync()
    {
        var connection = await redis.ConnectAsync();
        var channels = Channels(connection) ?? throw new RedisException("No Redis server has answered yet.");
        var subscriber = connection.GetSubscriber();
        foreach (var channel in channels.All)
        {
            await subscriber.SubscribeAsync(channel, (_, message) => OnMessage(message));
        }
    }

    private NoticeChannels? Channels(IConnectionMultiplexer connection)
    {
        if (Volatile.Read(ref _channels) is { } chosen)
        {
            return chosen;
        }

        return NoticeChannels.For(connection, _channelName) is { } channels ? Interlocked.CompareExchange(ref _channels, channels, null) ?? channels : null;
    }

    internal TimeSpan RetryInterval => options.Value.RedisRetryInterval;

    private void OnMessage(RedisValue message)
    {
        if (JobNotice.Deserialize((ReadOnlyMemory<byte>)message) is not { } received || received.Origin == Origin)
        {
            return;
        }

        var notice = received.Notice;
        switch (notice.Kind)
        {
            case JobNoticeKind.Revoked:
                // Marked terminal here first, so no lease of this process answers running once the revoker hears back.
                reads.Learn(notice);
                _ = PublishToReplicasAsync(JobNotice.Release(notice.JobId, received.Origin));
                return;
            case JobNoticeKind.Released:
                if (notice.Revoker == Origin)
                {
                    Released(notice.JobId, received.Origin);
                }

                return;
        }

        reads.Learn(notice);
        Deliver(notice);
    }

    private void Released(string jobId, Guid holder)
    {
        lock (_gate)
        {
            if (!_revocations.TryGetValue(jobId, out var list))
            {
                return;
            }

            foreach (var revocation in list)
            {
                if (revocation.Waiting.Remove(holder) && revocation.Waiting.Count == 0)
                {
                    revocation.Done.TrySetResult();
                }
            }
        }
    }

    // The holders a revoke still waits to hear from (changed under the gate).
    private sealed class Revocation(HashSet<Guid> waiting)
    {
        public HashSet<Guid> Waiting { get; } = waiting;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void Deliver(JobNotice notice)
    {
        Action<JobNotice>[] listeners;
        lock (_gate)
        {
            if (!_listeners.TryGetValue(notice.JobId, out var list))
            {
                return;
            }

            listeners = [.. list];
        }

        foreach (var listener in listeners)
        {
            listener(notice);
        }
    }

    private void Unsubscribe(string jobId, Action<JobNotice> listener)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(jobId, out var list) && list.Remove(listener) && list.Count == 0)
            {
                _listeners.Remove(jobId);
            }
        }
    }

    private sealed class Subscription(JobNotices notices, string jobId, Action<JobNotice> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                notices.Unsubscribe(jobId, listener);
            }
        }
    }

    /// <summary>
    /// A one-shot wait for the next notice about a job. It starts listening when created, so a notice published
    /// between creating it and awaiting it is not lost.
    /// </summary>
    public sealed class NextNotice : IDisposable
    {
        private readonly IDisposable _subscription;
        private TaskCompletionSource<JobNotice> _next = NewSource();

        public NextNotice(JobNotices notices, string jobId) =>
            _subscription = notices.Subscribe(jobId, notice => Volatile.Read(ref _next).TrySetResult(notice));

        /// <summary>The first notice since the previous call (or since creation), or null after <paramref name="timeout"/>.</summary>
        public async Task<JobNotice?> WaitAsync(TimeSpan timeout, TimeProvider time)
        {
            var source = Volatile.Read(ref _next);
            try
            {
                return await source.Task.WaitAsync(timeout, time);
            }
            catch (TimeoutException)
            {
                return null;
            }
            finally
            {
                if (source.Task.IsCompleted)
                {
                    Interlocked.CompareExchange(ref _next, NewSource(), source);
                }
            }
        }

        public void Dispose() => _subscription.Dispose();

        private static TaskCompletionSource<JobNotice> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
