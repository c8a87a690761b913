namespace Gateway.Creations;

/// <summary>
/// A first attempt's upload body as the forwarder reads it: passed through unchanged, hashed on the way (and, for reuse,
/// its file part too), and once its end is read (before the upstream can answer) the creation is registered under that
/// hash, so a retry with the same bytes can find it. Nothing is buffered.
/// </summary>
internal sealed class HashingRequestBody(Stream inner, string route, UploadContentHash? content, Func<byte[], Task> atEnd) : Stream
{
    private readonly System.Security.Cryptography.IncrementalHash _hash = CreationFingerprint.Begin(route);
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (read > 0)
        {
            _hash.AppendData(buffer.Span[..read]);
            content?.Append(buffer.Span[..read]);
        }
        else if (!_ended && buffer.Length > 0)
        {
            _ended = true;
            await atEnd(_hash.GetHashAndReset());
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
