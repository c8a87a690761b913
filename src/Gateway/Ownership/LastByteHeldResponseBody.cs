using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Ownership;

/// <summary>
/// The response body of a forwarded job creation or upload whose caller must not hold the complete answer before the
/// gateway has recorded who owns the new id: every byte passes straight through except the last one written so far,
/// which waits for <see cref="ReleaseAsync"/>. Holding one byte rather than the body keeps a multi-megabyte synchronous
/// answer streaming, yet no JSON parser, SDK included, accepts the answer until the closing brace arrives. Every byte
/// also feeds <see cref="Scanner"/>, which finds the id the ledger records.
/// </summary>
internal sealed class LastByteHeldResponseBody : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly byte[] _held = new byte[1];
    private bool _holding;
    private bool _released;
    private bool _completeAsked;
    private LastByteHeldStream? _stream;
    private PipeWriter? _writer;

    public LastByteHeldResponseBody(IHttpResponseBodyFeature inner, TopLevelIdScanner scanner)
    {
        _inner = inner;
        Scanner = scanner;
    }

    public TopLevelIdScanner Scanner { get; }

    public Stream Stream => _stream ??= new LastByteHeldStream(this);

    // Wrapping the stream costs one pipe per response, and only for callers that ask for the writer.
    public PipeWriter Writer => _writer ??= PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true));

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

    /// <summary>Completes the inner body only once released: completing earlier would send the held byte's absence as the end.</summary>
    public async Task CompleteAsync()
    {
        await FlushWriterAsync();
        if (_released)
        {
            await _inner.CompleteAsync();
            return;
        }

        _completeAsked = true;
    }

    /// <summary>Sends the held byte (the owner is recorded), and completes the body if that was asked for meanwhile.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (_released)
        {
            return;
        }

        await FlushWriterAsync();
        _released = true;
        if (_holding)
        {
            _holding = false;
            _inner.Writer.Write(_held);
        }

        await _inner.Writer.FlushAsync(cancellationToken);
        if (_completeAsked)
        {
            await _inner.CompleteAsync();
        }
    }

    internal ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        if (!chunk.IsEmpty)
        {
            Pass(chunk.Span);
        }

        return _inner.Writer.FlushAsync(cancellationToken);
    }

    internal void Write(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return;
        }

        // Synchronous writes keep their synchronous meaning (and the server's AllowSynchronousIO rule) on the inner stream.
        Scan(chunk);
        if (_released)
        {
            _inner.Stream.Write(chunk);
            return;
        }

        if (_holding)
        {
            _inner.Stream.Write(_held);
        }

        _inner.Stream.Write(chunk[..^1]);
        Hold(chunk[^1]);
    }

    internal Task FlushAsync(CancellationToken cancellationToken) => _inner.Writer.FlushAsync(cancellationToken).AsTask();

    // Writes all but the chunk's last byte, after the byte held from before; the caller flushes.
    private void Pass(ReadOnlySpan<byte> chunk)
    {
        Scan(chunk);
        var writer = _inner.Writer;
        if (_released)
        {
            writer.Write(chunk);
            return;
        }

        if (_holding)
        {
            writer.Write(_held);
        }

        writer.Write(chunk[..^1]);
        Hold(chunk[^1]);
    }

    private void Hold(byte last)
    {
        _held[0] = last;
        _holding = true;
    }

    private void Scan(ReadOnlySpan<byte> chunk)
    {
        if (!Scanner.Finished)
        {
            Scanner.Feed(chunk);
        }
    }

    private async Task FlushWriterAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }
    }
}
