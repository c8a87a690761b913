using BenchmarkDotNet.Attributes;
using Gateway.Caching;
using Gateway.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gateway.Benchmarks;

/// <summary>
/// The per-request work of a cache hit, in isolation: the memory-tier lookup, the Accept-Encoding check and the
/// Cache-Status value. Allocations here are per hit, so the memory diagnoser is the figure to watch.
/// </summary>
[MemoryDiagnoser]
public class HitPathBenchmarks : IDisposable
{
    private readonly MemoryTier _tier = new(Options.Create(new CacheOptions()));
    private readonly DefaultHttpContext _gzipRequest = new();
    private readonly DefaultHttpContext _plainRequest = new();
    private JobRead _hit = null!;

    [GlobalSetup]
    public void Setup()
    {
        var body = Bodies.Completed(64 * 1024);
        var entry = CachedResponse.Create("application/json", CachedResponse.ComputeETag(body), body, DateTimeOffset.UtcNow.AddHours(1), owner: "bench");
        _tier.Set("job:v2:bench:done-64k", entry);
        _hit = JobRead.Hit(entry);
        _gzipRequest.Request.Headers.AcceptEncoding = "gzip, deflate";
        _plainRequest.Request.Headers.AcceptEncoding = "identity";
    }

    public void Dispose()
    {
        _tier.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public bool MemoryTierLookup() => _tier.Get("job:v2:bench:done-64k", DateTimeOffset.UtcNow) is not null;

    [Benchmark]
    public bool AcceptsGzip_Sdk() => AcceptEncoding.AllowsGzip(_gzipRequest.Request);

    [Benchmark]
    public bool AcceptsGzip_Identity() => AcceptEncoding.AllowsGzip(_plainRequest.Request);

    [Benchmark]
    public string CacheStatus() => CacheStatusHeader.For(_hit);
}
