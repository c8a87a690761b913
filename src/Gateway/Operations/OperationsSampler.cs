using Gateway.Jobs;
using Gateway.Usage;
using Microsoft.Extensions.Options;

namespace Gateway.Operations;

/// <summary>
/// Keeps the operations view's history: every <see cref="OperationsOptions.SampleInterval"/> it moves the latency
/// recorded since the last sample into its minute, then reads the minutes that can still change (the current one
/// and the one before, which other replicas may still be flushing) into fixed rings, and publishes a snapshot the
/// endpoint serves as is. So a page costs no Redis read, however many are open. When the figures change source
/// (Redis stops or starts answering) the whole hour is read again, so the charts never mix the deployment's
/// minutes with one replica's.
/// </summary>
internal sealed class OperationsSampler(
    UsageLedger usage,
    LatencyLedger latency,
    ReplicaActivity activity,
    JobWatcher watcher,
    RefreshQueue refreshes,
    Telemetry.GatewayMetrics metrics,
    TimeProvider time,
    IOptions<OperationsOptions> options,
    ILogger<OperationsSampler> logger) : BackgroundService
{
    private static readonly IReadOnlyDictionary<string, long[]> NoTeams = new Dictionary<string, long[]>();

    private readonly MinuteRing<MinuteUsage> _usage = new(static minute => new MinuteUsage(minute, NoTeams), static point => point.Minute);
    private readonly MinuteRing<LatencyMinute> _latency = new(LatencyMinute.Empty, static point => point.Minute);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private OperationsSnapshot? _latest;
    private bool? _shared;
    private long _lastMinute;
    private bool _failing;

    /// <summary>The latest snapshot; null before the first sample.</summary>
    public OperationsSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>Takes a sample now; the loop calls it every interval, tests when they need the figures at once.</summary>
    public async Task<OperationsSnapshot> SampleAsync()
    {
        // The loop and a test may sample at once; the rings have one writer.
        await _gate.WaitAsync();
        try
        {
            var now = time.GetUtcNow();
            var minute = now.ToUnixTimeSeconds() / 60;
            latency.Take(minute);
            await latency.FlushAsync();

            var oldest = minute - LatencyLedger.Minutes + 1;
            var from = _shared is null ? oldest : Math.Max(oldest, Math.Min(_lastMinute, minute) - 1);
            var counts = await usage.ReadMinutesAsync(from, minute);
            if (_shared is { } before && before != counts.Shared && from != oldest)
            {
                from = oldest;
                counts = await usage.ReadMinutesAsync(from, minute);
            }

            var latencies = (counts.Shared ? await latency.ReadSharedAsync(from, minute) : null) ?? latency.ReadLocal(from, minute);
            foreach (var point in counts.Minutes)
            {
                _usage.Put(point);
            }

            foreach (var point in latencies)
            {
                _latency.Put(point);
            }

            _shared = counts.Shared;
            _lastMinute = minute;
            var own = new WaitingCounts(watcher.Watching, watcher.Waiting, refreshes.Waiting, metrics.RecentStale.LastMinute());
            var waiting = (counts.Shared ? await activity.ShareAsync(own) : null) ?? own;
            var snapshot = new OperationsSnapshot(counts.Shared, now, minute, _usage.Window(minute), _latency.Window(minute), waiting);
            Volatile.Write(ref _latest, snapshot);
            _failing = false;
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        do
        {
            try
            {
                await SampleAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Told once until a sample succeeds again, not every interval.
                if (!_failing)
                {
                    _failing = true;
                    logger.SampleFailed(exception);
                }
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
