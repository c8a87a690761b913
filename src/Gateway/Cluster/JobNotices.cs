using Gateway.Caching;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Tells every interested party about a job: listeners in this process at once, and, through one Redis pub/sub
/// channel per deployment, every other replica. A notice that cannot be published (no Redis, Redis down) still reaches
/// this process's listeners; other replicas then fall back on their own fetches, so a lost notice costs an upstream
/// request, never a wrong answer or an endless wait.
/// </summary>
internal sealed class JobNotices(
    SharedRedis redis, RedisKeys keys, IOptions<CacheOptions> options, MemoryTier memory, RunningAnswers running)
{
    private readonly Dictionary<string, List<Action<JobNotice>>> _listeners = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    // Redis disconnects a subscriber whose output buffer outgrows its pub/sub limit (32 MB by default), so large
    // bodies are not broadcast: a replica that misses a notice finds the lease free and fetches for itself.
    private const int MaxSharedBodyBytes = 1 << 20;

    private readonly RedisChannel _channel = keys.NoticeChannel;

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
            await redis.TryAsync(database => database.PublishAsync(_channel, notice.Serialize(Origin)));
        }
    }

    /// <summary>Subscribes this process to the deployment's channel; StackExchange.Redis restores it after a reconnect.</summary>
    internal async Task SubscribeToReplicasAsync() =>
        await (await redis.ConnectAsync()).GetSubscriber().SubscribeAsync(_channel, (_, message) => OnMessage(message));

    internal TimeSpan RetryInterval => options.Value.RedisRetryInterval;

    private void OnMessage(RedisValue message)
    {
        if (JobNotice.Deserialize((ReadOnlyMemory<byte>)message) is not { } received || received.Origin == Origin)
        {
            return;
        }

        Learn(received.Notice);
        Deliver(received.Notice);
    }

    // What another replica learnt changes what this one may serve, before anyone here is woken by it: a terminal
    // answer ends the job's running window, a running one is shared for the rest of its window.
    private void Learn(JobNotice notice)
    {
        switch (notice.Kind)
        {
            case JobNoticeKind.Evicted:
                memory.Remove(keys.ForJob(notice.JobId));
                running.DropLocally(notice.JobId);
                break;
            case JobNoticeKind.Stored:
                running.MarkTerminalLocally(notice.JobId);
                break;
            case JobNoticeKind.Response when notice.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status410Gone:
                running.DropLocally(notice.JobId);
                break;
            case JobNoticeKind.Response when notice.IsTerminalAnswer:
                running.MarkTerminalLocally(notice.JobId);
                break;
            case JobNoticeKind.Response when notice.RunningAnswer() is { } answer:
                running.Keep(notice.JobId, answer);
                break;
        }
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
