using System.Buffers;
using System.Text;

namespace Gateway.Direct;

/// <summary>
/// Reads the head of the one answer Kestrel writes in a <see cref="KestrelTurn"/> and tells whether it keeps the
/// connection open: Kestrel says <c>Connection: close</c> whenever it will close (a 400, a refused body, shutdown).
/// No head at all, or one too long to read here, counts as a close. One per connection, <see cref="Reset"/> per turn.
/// The head is collected in a pooled buffer held only while it is read: an idle connection that once took a turn
/// kept 16 KiB here, more than Kestrel keeps for a whole idle connection.
/// </summary>
internal sealed class CloseDetector
{
    private const int MaxHeadBytes = 16 * 1024;

    private byte[]? _head;
    private int _length;
    private bool _done;

    public bool KeepAlive { get; private set; }

    /// <summary>Ready for the next answer.</summary>
    public void Reset()
    {
        Release();
        _length = 0;
        _done = false;
        KeepAlive = false;
    }

    /// <summary>The next bytes of the answer, in order.</summary>
    public void Read(ReadOnlySequence<byte> bytes)
    {
        if (_done)
        {
            return;
        }

        _head ??= ArrayPool<byte>.Shared.Rent(MaxHeadBytes);
        var take = (int)Math.Min(bytes.Length, MaxHeadBytes - _length);
        bytes.Slice(0, take).CopyTo(_head.AsSpan(_length));
        _length += take;
        var head = _head.AsSpan(0, _length);
        var end = head.IndexOf("\r\n\r\n"u8);
        if (end >= 0)
        {
            _done = true;
            KeepAlive = !SaysClose(head[..end]);
            Release();
        }
        else if (_length == MaxHeadBytes)
        {
            _done = true;
            Release();
        }
    }

    private void Release()
    {
        if (_head is { } head)
        {
            _head = null;
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    private static bool SaysClose(ReadOnlySpan<byte> head)
    {
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            const int NameLength = 11; // "Connection:"
            if (line.Length > NameLength && Ascii.EqualsIgnoreCase(line[..NameLength], "Connection:"u8))
            {
                foreach (var token in line[NameLength..].Split((byte)','))
                {
                    if (Ascii.EqualsIgnoreCase(line[NameLength..][token].Trim(" \t"u8), "close"u8))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
