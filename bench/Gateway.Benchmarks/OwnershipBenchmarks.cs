using BenchmarkDotNet.Attributes;
using Gateway.Ownership;

namespace Gateway.Benchmarks;

/// <summary>
/// What recording an owner costs a creation: the scan of a forwarded answer for its top-level <c>job_id</c> (every
/// byte of a synchronous answer, in 16 KiB writes as the forwarder makes them, the id last) and the check of a
/// job-creating body's references.
/// </summary>
[MemoryDiagnoser]
public class OwnershipBenchmarks
{
    private const int Write = 16 * 1024;
    private byte[] _answer = null!;
    private byte[] _creation = null!;

    [Params(64 * 1024, 5 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var completed = Bodies.Completed(Size);

        // The completed job body with a top-level job_id appended last, where a scan has to read everything first.
        _answer = [.. completed.AsSpan(0, completed.Length - 1), .. ",\"job_id\":\"0b0f2a59-3d56-4a8c-9b0e-8f6b2a0c1d2e\"}"u8];
        _creation = """{"input":["reducto://0b0f2a59-3d56-4a8c-9b0e-8f6b2a0c1d2e.pdf","jobid://1b0f2a59-3d56-4a8c-9b0e-8f6b2a0c1d2e"],"settings":{"page_range":{"start":1,"end":10}},"async":{"metadata":{"team":"x"}}}"""u8.ToArray();
    }

    [Benchmark]
    public string? ScanAnswerForJobId()
    {
        var scanner = new TopLevelIdScanner("job_id"u8);
        for (var offset = 0; offset < _answer.Length; offset += Write)
        {
            scanner.Feed(_answer.AsSpan(offset, Math.Min(Write, _answer.Length - offset)));
        }

        return scanner.Found;
    }

    [Benchmark]
    public int FindReferences() => CreationReferences.Find(_creation).References.Count;
}
