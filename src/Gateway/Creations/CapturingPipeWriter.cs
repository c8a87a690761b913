using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Creations;

/// <summary>
/// Writes into the caller's response pipe while copying every advanced byte; the caller's pipe stops being used at
/// the first sign that the caller is gone (its abort token, or a write or flush that fails), after which the bytes
/// are only copied.
/// </summary>
internal sealed class CapturingPipeWriter(IHttpResponseBodyFeature inner, int maxBytes, CancellationToken callerGone) : PipeWriter
{
    private readonly ArrayBufferWriter<byte> _copy = new(256);
    private Memory<byte> _current;
    private bool _currentIsInner;
    private byte[]? _own;
    private bool _gone;
    private bool _overflow;

    public bool CallerGone => _gone || callerGone.IsCancellationRequested;

    public byte[]? Captured => _overflow ? null : _copy.WrittenSpan.ToArray();

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (!CallerGone)
        {
            try
            {
                _current = inner.Writer.GetMemory(sizeHint);
                _currentIsInner = true;
                return _current;
            }
            catch (Exception) when (MarkGone())
            {
            }
        }

        var size = Math.Max(sizeHint, 4096);
        if (_own is null || _own.Length < size)
        {
            _own = new byte[size];
        }

        _current = _own;
        _currentIsInner = false;
        return _current;
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        Copy(_current.Span[..bytes]);
        if (_currentIsInner)
        {
            try
            {
                inner.Writer.Advance(bytes);
            }
            catch (Exception) when (MarkGone())
            {
            }
        }

        _current = default;
    }

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!CallerGone)
        {
            await GuardAsync(async () => await inner.Writer.FlushAsync(cancellationToken));
        }

        // Never "completed" or "canceled": the forwarder must go on reading the upstream's answer to its end.
        return default;
    }

    public override void CancelPendingFlush() => inner.Writer.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (!CallerGone)
        {
            try
            {
                inner.Writer.Complete(exception);
            }
            catch (Exception) when (MarkGone())
            {
            }
        }
    }

    /// <summary>Runs a write to the caller; a failure means the caller is gone, which the creation outlives.</summary>
    public async Task GuardAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception) when (MarkGone())
        {
        }
    }

    private void Copy(ReadOnlySpan<byte> bytes)
    {
        if (_overflow)
        {
            return;
        }

        if (_copy.WrittenCount + bytes.Length > maxBytes)
        {
            _overflow = true;
            _copy.Clear();
            return;
        }

        _copy.Write(bytes);
    }

    // Always true, for use as an exception filter: the exception is the caller's connection failing.
    private bool MarkGone()
    {
        _gone = true;
        return true;
    }
}
