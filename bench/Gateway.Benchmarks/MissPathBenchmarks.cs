using BenchmarkDotNet.Attributes;
using Gateway.Caching;
using Gateway.Jobs;

namespace Gateway.Benchmarks;

/// <summary>
/// The work a miss does on the body: reading <c>status</c> (every miss), and, for terminal jobs only, the full
/// validating pass that finds lifetimes, the ETag and the gzip copy (once per stored job).
/// </summary>
[MemoryDiagnoser]
public class MissPathBenchmarks
{
    private byte[] _body = null!;

    [Params(2 * 1024, 64 * 1024, 1024 * 1024, 5 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => _body = Bodies.Completed(Size);

    [Benchmark(Baseline = true)]
    public string? ReadStatus() => JobStatus.Read(_body);

    [Benchmark]
    public bool ReadLifetimeFacts() => JobBodyFacts.Read(_body) is not null;

    [Benchmark]
    public string ComputeETag() => CachedResponse.ComputeETag(_body);

    [Benchmark]
    public int CreateEntryWithGzip() =>
        CachedResponse.Create("application/json", "\"bench\"", _body, DateTimeOffset.UtcNow.AddHours(1), owner: "bench").GzipBody.Length;
}
