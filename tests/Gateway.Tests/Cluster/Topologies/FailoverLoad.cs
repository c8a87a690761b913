using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Caching;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Cluster.Topologies;

/// <summary>
/// Load on three replicas while their Redis fails over: 32 clients reading, round robin over the replicas, a mix of
/// hot stored jobs and jobs never seen before. Every answer is checked (status, and the body against the job's own
/// bytes as first served), timed, and kept for the report; after the failover a probe measures when caching and
/// cross-replica coalescing are back.
/// </summary>
internal sealed class FailoverLoad : IAsyncDisposable
{
    public const int Clients = 32;
    private const int HotJobs = 24;

    private readonly ReplicaSet _set;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentDictionary<string, byte[]> _firstBodies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _lastCacheStatuses = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _load;
    private int _fresh;

    private FailoverLoad(ReplicaSet set) => _set = set;

    public IReadOnlyList<string> Failures => [.. _failures];

    public int Requests => _latencies.Count;

    /// <summary>The Redis key of a hot job's stored answer, whose slot's primary the cluster test kills.</summary>
    public string HotRedisKey => _set.Replicas[0].Services.GetRequiredService<RedisKeys>().StoredJob(Hot(0)).ToString();

    public static async Task<FailoverLoad> StartAsync(string redis)
    {
        var set = await ReplicaSet.StartAsync(3, redis, new Dictionary<string, string?>
        {
            // The budget is not under test: a 429 here would be the test's own doing.
            ["Upstream:JobPollsPerSecond"] = "100000",
            ["Upstream:RequestsPerSecond"] = "100000",

            // What a deployment would run: a failed-over primary costs at most this per command in flight.
            ["Cache:RedisTimeout"] = "00:00:01",
            ["Cache:RedisRetryInterval"] = "00:00:00.200",
        });
        var load = new FailoverLoad(set);
        foreach (var i in Enumerable.Range(0, HotJobs))
        {
            await load.ReadAsync(set.Clients[i % 3], load.Hot(i));
        }

        load._load = Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(() => load.ClientAsync(client))));
        await Eventually.Until(() => load.Requests > 300, TimeSpan.FromSeconds(30), "the load is running");
        return load;
    }

    /// <summary>
    /// From now until a stored job is a hit on every replica and concurrent reads of a new job through all three
    /// replicas cost one upstream read: the time until caching and coalescing are back.
    /// </summary>
    public async Task<TimeSpan> RecoveredAsync(Stopwatch since, TimeSpan timeout)
    {
        while (since.Elapsed < timeout)
        {
            var id = "done-2k-probe-" + Guid.NewGuid().ToString("N");
            _set.Upstream.Script.Delay(id, TimeSpan.FromMilliseconds(200));
            var together = await Task.WhenAll(_set.Clients.Select(client => ReadAsync(client, id)));
            var again = await Task.WhenAll(_set.Clients.Select(client => ReadAsync(client, id)));
            if (_set.Upstream.Requests.CountForJob(id) == 1 && together.All(static s => s == HttpStatusCode.OK) &&
                again.All(static s => s == HttpStatusCode.OK) && _lastCacheStatuses.TryGetValue(id, out var statuses) && statuses.Count(static s => s == "Gateway; hit") >= 3)
            {
                return since.Elapsed;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Caching and coalescing were not back within {timeout}.");
    }

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _load!;
    }

    /// <summary>Latency percentile over every answer, in milliseconds.</summary>
    public double Percentile(double p)
    {
        var sorted = _latencies.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public string Report() =>
        $"{Requests} requests, {_failures.Count} failed; p50 {Percentile(0.5):F0} ms, p99 {Percentile(0.99):F0} ms, max {Percentile(1):F0} ms, " +
        $"{_latencies.Count(static l => l > 1000)} over a second; " +
        $"{_set.Upstream.Requests.All.Count} upstream reads for {_firstBodies.Count} distinct jobs";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        await _set.DisposeAsync();
    }

    private string Hot(int i) => $"done-2k-hot-{_run}-{i}";

    private async Task ClientAsync(int client)
    {
        var random = new Random(client);
        for (var i = client; !_stop.IsCancellationRequested; i++)
        {
            // One read in four is a job nobody has read yet: a miss that needs a lease, a fetch and a store.
            var id = random.Next(4) == 0 ? $"done-2k-new-{_run}-{Interlocked.Increment(ref _fresh)}" : Hot(random.Next(HotJobs));
            await ReadAsync(_set.Clients[i % 3], id);

            // A client that thinks a little, as callers do, so the load leaves the 2-core machine's other tests some CPU.
            await Task.Delay(10);
        }
    }

    private async Task<HttpStatusCode> ReadAsync(HttpClient client, string id)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await client.GetAsync("/job/" + id, CancellationToken.None);
            var body = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            _latencies.Add(clock.Elapsed.TotalMilliseconds);
            _lastCacheStatuses.GetOrAdd(id, static _ => []).Add(response.Header("Cache-Status") ?? string.Empty);
            var first = _firstBodies.GetOrAdd(id, body);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                _failures.Enqueue($"{id}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
            }
            else if (!first.AsSpan().SequenceEqual(body) || !Encoding.UTF8.GetString(body).Contains(id, StringComparison.Ordinal))
            {
                _failures.Enqueue($"{id}: a wrong body ({body.Length} bytes)");
            }

            return response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            _latencies.Add(clock.Elapsed.TotalMilliseconds);
            _failures.Enqueue($"{id}: {exception.GetType().Name} {exception.Message}");
            return 0;
        }
    }
}
