using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Creations;

/// <summary>
/// The response body of a forwarded creation: every byte goes to the caller and into a copy for the replay store (up
/// to <c>Creations:MaxAnswerBytes</c>). Once the caller is gone, writes to it are dropped and its failures swallowed,
/// so the forwarder reads Reducto's whole answer (the job it created) instead of abandoning it half read.
/// </summary>
internal sealed class CapturedResponseBody : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly CapturingPipeWriter _writer;
    private Stream? _stream;

    public CapturedResponseBody(IHttpResponseBodyFeature inner, int maxBytes, CancellationToken callerGone)
    {
        _inner = inner;
        _writer = new CapturingPipeWriter(inner, maxBytes, callerGone);
    }

    /// <summary>Every byte written, or null when the answer outgrew the limit.</summary>
    public byte[]? Captured => _writer.Captured;

    public Stream Stream => _stream ??= new CapturingStream(_writer);

    public PipeWriter Writer => _writer;

    public void DisableBuffering() => _inner.DisableBuffering();

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!_writer.CallerGone)
        {
            await _writer.GuardAsync(() => _inner.StartAsync(cancellationToken));
        }
    }

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        await _writer.FlushAsync();
        if (!_writer.CallerGone)
        {
            await _writer.GuardAsync(() => _inner.CompleteAsync());
        }
    }

    /// <summary>Writes synchronously or asynchronously through the capturing writer, so both paths are copied.</summary>
    private sealed class CapturingStream(CapturingPipeWriter writer) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writer.Write(buffer.Span);
            await writer.FlushAsync(cancellationToken);
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => writer.FlushAsync(cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
