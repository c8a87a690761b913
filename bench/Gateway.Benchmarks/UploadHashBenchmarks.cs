using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Gateway.Creations;
using Microsoft.AspNetCore.Http;

namespace Gateway.Benchmarks;

/// <summary>
/// What learning an upload's document costs, per MiB: the file part's bytes found between the delimiters and hashed
/// (<see cref="UploadContentHash"/>), in the 64 KiB reads the forwarder makes, against SHA-256 of the same bytes
/// alone, which the whole-body fingerprint for SDK retries already pays.
/// </summary>
[MemoryDiagnoser]
public class UploadHashBenchmarks
{
    private const int Read = 64 * 1024;
    private const string Boundary = "----gateway-bench-boundary";
    private byte[] _form = null!;
    private DefaultHttpContext _context = null!;

    [Params(16 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var file = new byte[Size];
        new Random(7).NextBytes(file);
        _form = [.. System.Text.Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"doc.pdf\"\r\n\r\n"),
            .. file, .. System.Text.Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n")];
        _context = new DefaultHttpContext();
        _context.Request.ContentType = "multipart/form-data; boundary=" + Boundary;
    }

    [Benchmark(Baseline = true)]
    public byte[] Sha256Only()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var offset = 0; offset < _form.Length; offset += Read)
        {
            hash.AppendData(_form.AsSpan(offset, Math.Min(Read, _form.Length - offset)));
        }

        return hash.GetHashAndReset();
    }

    [Benchmark]
    public string? FilePartHash()
    {
        using var hash = UploadContentHash.For(_context.Request)!;
        for (var offset = 0; offset < _form.Length; offset += Read)
        {
            hash.Append(_form.AsSpan(offset, Math.Min(Read, _form.Length - offset)));
        }

        return hash.Identity;
    }
}
