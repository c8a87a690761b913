namespace Gateway.Ownership;

/// <summary>The write-only stream face of <see cref="LastByteHeldResponseBody"/>; every write goes through the hold.</summary>
internal sealed class LastByteHeldStream(LastByteHeldResponseBody body) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => body.Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => body.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Most flushes finish at once; only one that waits pays for a state machine.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var flush = body.WriteAsync(buffer, cancellationToken);
        if (!flush.IsCompletedSuccessfully)
        {
            return AwaitFlush(flush);
        }

        _ = flush.Result;
        return default;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => body.FlushAsync(cancellationToken);

    // A synchronous flush would block on the network; bytes reach it on the next write or flush that can wait.
    public override void Flush()
    {
    }

    private static async ValueTask AwaitFlush(ValueTask<System.IO.Pipelines.FlushResult> flush) => await flush;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
