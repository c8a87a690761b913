namespace Gateway.Jobs;

/// <summary>
/// Which of a job's stored representations an answer carries, and the validator and headers that go with it: the one
/// choice both the pipeline (<see cref="JobResponseResult"/>) and the direct path make. A job with a gzip copy varies
/// by <c>Accept-Encoding</c> whichever copy is sent, and each copy has its own strong ETag.
/// </summary>
internal readonly record struct Representation(ReadOnlyMemory<byte> Body, string? ETag, bool Gzip, bool Vary)
{
    public static Representation Choose(ReadOnlyMemory<byte> body, string? etag, ReadOnlyMemory<byte> gzipBody, string? gzipETag, bool acceptsGzip) =>
        gzipETag is null ? new(body, etag, Gzip: false, Vary: false)
        : acceptsGzip ? new(gzipBody, gzipETag, Gzip: true, Vary: true)
        : new(body, etag, Gzip: false, Vary: true);
}
