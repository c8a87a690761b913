using System.Diagnostics.Metrics;
using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Redis;
using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

/// <summary>
/// Serves <c>Prefer: wait</c>: every caller in this process waiting on a job shares one watch, and every replica's
/// watch shares one poll lease, so a job is polled at most once per interval for the whole cluster however many
/// callers wait. Polls start at <see cref="JobOptions.WatchInterval"/> and back off to
/// <see cref="JobOptions.MaxWatchInterval"/>, go through the upstream budget like any read, and stop when nobody
/// waits. Whatever any replica learns about the job (its polls, plain reads, a webhook-triggered fetch) reaches the
/// watch as a notice, so waiters are answered the moment a terminal response exists anywhere in the cluster.
/// </summary>
internal sealed class JobWatcher
{
    private readonly Dictionary<string, JobWatch> _watches = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly JobReader _reader;
    private readonly RefreshQueue _refreshes;
    private readonly JobNotices _notices;
    private readonly NoticeReads _noticeReads;
    private readonly RedisKeys _keys;
    private readonly IOptions<JobOptions> _options;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<JobWatcher> _logger;

    public JobWatcher(
        JobReader reader,
        RefreshQueue refreshes,
        JobNotices notices,
        NoticeReads noticeReads,
        RedisKeys keys,
        IOptions<JobOptions> options,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        ILogger<JobWatcher> logger,
        IMeterFactory meters)
    {
        _reader = reader;
        _refreshes = refreshes;
        _notices = notices;
        _noticeReads = noticeReads;
        _keys = keys;
        _options = options;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;

        // What long polling holds open right now: callers parked on the gateway, and the jobs polled for them.
        var meter = meters.Create(Telemetry.GatewayMetrics.MeterName);
        meter.CreateObservableGauge("gateway.jobs.waiting", () => Waiting, "{request}", "Callers waiting with Prefer: wait");
        meter.CreateObservableGauge("gateway.jobs.watched", () => Watching, "{job}", "Jobs this replica watches for waiting callers");
    }

    /// <summary>Jobs this process is watching right now.</summary>
    public int Watching
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>Callers in this process waiting on a job right now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _watches.Values.Sum(static w => w.Waiters);
            }
        }
    }

    /// <summary>Waits for the job's final answer, or returns the latest running state after <paramref name="wait"/>.</summary>
    /// <param name="latest">The caller's own read of the job, just made: what it gets if nothing newer arrives.</param>
    public async Task<JobRead> WaitAsync(string jobId, string team, JobRead latest, TimeSpan wait, CancellationToken cancellationToken)
    {
        JobWatch? watch;
        var start = false;
        lock (_gate)
        {
            if (!_watches.TryGetValue(jobId, out watch))
            {
                _watches[jobId] = watch = new JobWatch(jobId, latest);
                start = true;
            }
            else
            {
                // The caller's own read is at least as recent as anything the watch holds.
                watch.Offer(latest);
            }

            watch.Waiters++;
        }

        if (start)
        {
            _ = WatchAsync(watch, team);
        }

        return await AwaitAsync(watch, wait, cancellationToken);
    }

    /// <summary>
    /// Joins the watch this process already keeps on the job, if any, without reading the job first: the watch's
    /// latest response is as fresh as a read would be, and callers arriving at a watched job then cost no upstream
    /// request. Null when nobody here watches the job; the caller reads it and calls <see cref="WaitAsync"/>.
    /// </summary>
    public Task<JobRead>? TryJoin(string jobId, TimeSpan wait, CancellationToken cancellationToken)
    {
        JobWatch? watch;
        lock (_gate)
        {
            if (!_watches.TryGetValue(jobId, out watch))
            {
                return null;
            }

            watch.Waiters++;
        }

        return AwaitAsync(watch, wait, cancellationToken);
    }

    private async Task<JobRead> AwaitAsync(JobWatch watch, TimeSpan wait, CancellationToken cancellationToken)
    {
        // A stopping process answers its waiters with what it has, so they come back to a replica that stays.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.ApplicationStopping);
        try
        {
            return await watch.Answer.Task.WaitAsync(wait, _time, abandon.Token);
        }
        catch (TimeoutException)
        {
            return watch.Latest;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return watch.Latest;
        }
        finally
        {
            lock (_gate)
            {
                watch.Waiters--;
            }
        }
    }

    private async Task WatchAsync(JobWatch watch, string team)
    {
        var key = _keys.ForJob(watch.JobId);
        using var subscription = _notices.Subscribe(watch.JobId, notice => _ = OfferAsync(watch, notice, key));
        var interval = _options.Value.WatchInterval;
        var polledAt = _time.GetUtcNow();
        try
        {
            while (true)
            {
                await Task.WhenAny(watch.Answer.Task, Task.Delay(interval, _time, _lifetime.ApplicationStopping));
                lock (_gate)
                {
                    if (watch.Answer.Task.IsCompleted || watch.Waiters == 0 || _lifetime.ApplicationStopping.IsCancellationRequested)
                    {
                        _watches.Remove(watch.JobId);
                        return;
                    }
                }

                // In turn with the replica's other reads of running jobs, so thousands of watched jobs share the budget
                // in order instead of each racing for a slot on its own timer.
                var pollInterval = interval;
                var read = await _refreshes.PollForWaitersAsync(watch.JobId, team, polledAt, _options.Value.MaxWatchInterval,
                    () => _reader.PollAsync(watch.JobId, team, pollInterval));
                polledAt = _time.GetUtcNow();
                if (read is not null)
                {
                    watch.Offer(read);
                }

                interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, _options.Value.MaxWatchInterval.Ticks));
            }
        }
        catch (Exception exception)
        {
            // Waiters still get the latest state when their wait runs out; the next caller starts a fresh watch.
            _logger.WatchFailed(watch.JobId, exception);
            lock (_gate)
            {
                if (_watches.TryGetValue(watch.JobId, out var current) && current == watch)
                {
                    _watches.Remove(watch.JobId);
                }
            }
        }
    }

    private async Task OfferAsync(JobWatch watch, JobNotice notice, string key)
    {
        try
        {
            if (await _noticeReads.ReadAsync(notice, key) is { } read)
            {
                watch.Offer(read);
            }
        }
        catch (Exception exception)
        {
            _logger.WatchFailed(watch.JobId, exception);
        }
    }
}
