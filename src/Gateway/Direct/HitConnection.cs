using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.Direct;

/// <summary>
/// One HTTP/1.1 connection on the direct path. Each request head is read here first: a cache hit
/// (<see cref="DirectHits"/>) is answered with one <c>sendmsg</c> of its head and the stored body, straight from the
/// memory tier to the socket, without Kestrel's HTTP layer or its pipe copy. Any other bodyless request is one
/// <see cref="KestrelTurn"/>, whose answer is sent before the next request is read, so answers keep their order.
/// Anything this connection cannot delimit (a body, an upgrade, HTTP/1.0, TLS, HTTP/2, malformed bytes) hands the
/// rest of the connection to Kestrel unchanged, bytes already read included.
/// </summary>
internal sealed class HitConnection
{
    private const int ResponseHeadBytes = 2048;

    // Kestrel's heartbeat interval, which its timers add to every timeout "since this can be called right before the
    // next heartbeat"; the direct path keeps the same rule so that its timeouts fire on the same heartbeat as Kestrel's.
    private const long HeartbeatMilliseconds = 1000;

    private enum Waiting
    {
        None,
        Idle,
        Head,
        Send,
    }

    private readonly ConnectionContext _connection;
    private readonly ConnectionDelegate _kestrel;
    private readonly DirectHits _hits;
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly ConnectionKey _key = new();
    private readonly CloseDetector _close = new();
    private readonly byte[] _responseHead = new byte[ResponseHeadBytes];
    private readonly List<ArraySegment<byte>> _segments = [];
    private byte[]? _requestCopy;
    private KestrelTurn? _turn;
    private KestrelTurn? _spareTurn;
    private int _waiting;
    private long _deadline = long.MaxValue;
    private long _lastTick = Environment.TickCount64;
    private long _answered;
    private TimeSpan _sendLimit;
    private readonly Lock _gate = new();
    private bool _handedOff;
    private volatile bool _closing;

    private HitConnection(ConnectionContext connection, ConnectionDelegate kestrel, DirectHits hits, Socket socket)
    {
        _connection = connection;
        _kestrel = kestrel;
        _hits = hits;
        _socket = socket;
        _input = connection.Transport.Input;
    }

    /// <summary>The connection middleware: connections without a socket (tests' in-memory transports) go straight to Kestrel.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate kestrel, DirectHits hits) => connection =>
        connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket
            ? new HitConnection(connection, kestrel, hits, socket).RunAsync()
            : kestrel(connection);

    private async Task RunAsync()
    {
        _connection.Features.Get<IConnectionHeartbeatFeature>()?.OnHeartbeat(static state => ((HitConnection)state).Tick(), this);
        using var closing = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .Register(static state => ((HitConnection)state!).RequestClose(), this);
        try
        {
            if (await ServeAsync())
            {
                await _kestrel(_connection);
            }
        }
        catch (Exception exception) when (exception is SocketException or IOException or ObjectDisposedException or ConnectionAbortedException)
        {
            // The client went away mid-answer: nothing to tell anyone, as when Kestrel loses a connection.
            _connection.Abort(new ConnectionAbortedException("The direct path lost the connection.", exception));
        }
    }

    /// <returns>True when the rest of the connection is Kestrel's; false when it is over.</returns>
    private async Task<bool> ServeAsync()
    {
        Wait(Waiting.Idle);
        while (true)
        {
            var result = await _input.ReadAsync();
            var buffer = result.Buffer;
            while (true)
            {
                var kind = Next(buffer, out var length, out var answer);
                if (kind == HeadKind.Incomplete)
                {
                    break;
                }

                if (_closing)
                {
                    _input.AdvanceTo(buffer.Start);
                    return false;
                }

                if (kind == HeadKind.Opaque)
                {
                    var preface = Preface(buffer);
                    if (preface == PrefaceMatch.Partial)
                    {
                        // Read on until the line is whole or diverges, as Kestrel does, under the same head timeout.
                        break;
                    }

                    return preface == PrefaceMatch.Whole ? await RefuseAsync(KestrelRefusal.Write(KestrelRefusal.VersionNotSupported, _responseHead), buffer) : await HandOffAsync(buffer);
                }

                Wait(Waiting.None);
                if (answer is { } hit && await _hits.ConfirmAsync(hit))
                {
                    await SendAsync(hit);
                    _hits.Record(hit);
                }
                else if (!await TakeTurnAsync(buffer.Slice(0, length)))
                {
                    _input.AdvanceTo(buffer.End);
                    return false;
                }

                _answered++;
                buffer = buffer.Slice(length);
            }

            if (result.IsCanceled && (_closing || TimedOut()))
            {
                // Idle past the keep-alive timeout, or the server is stopping: close, as Kestrel would.
                if (buffer.IsEmpty || _closing)
                {
                    _input.AdvanceTo(buffer.Start);
                    return false;
                }

                // A head still arriving after the request-headers timeout: Kestrel's 408 here and now. Handed to Kestrel,
                // it would wait a whole timeout more, since a new session's timer starts with the first bytes it reads.
                return await RefuseAsync(KestrelRefusal.Write(KestrelRefusal.RequestTimeout, _responseHead), buffer);
            }

            if (result.IsCompleted)
            {
                // The client sent its last bytes: an unfinished head is Kestrel's to refuse.
                if (buffer.IsEmpty)
                {
                    _input.AdvanceTo(buffer.Start);
                    return false;
                }

                return await HandOffAsync(buffer);
            }

            _input.AdvanceTo(buffer.Start, buffer.End);

            // A head's time runs from its first byte, however it trickles in.
            if (buffer.IsEmpty)
            {
                Wait(Waiting.Idle);
            }
            else if ((Waiting)_waiting != Waiting.Head)
            {
                Wait(Waiting.Head);
            }
        }
    }

    // From here the connection is Kestrel's as if this class had never read it: nothing consumed, and no timeout or
    // shutdown of ours cancels its reads. The extra read returns at once (its bytes are unexamined) and swallows a
    // cancellation issued just before the hand-off.
    private async Task<bool> HandOffAsync(ReadOnlySequence<byte> buffer)
    {
        lock (_gate)
        {
            _handedOff = true;
        }

        if (_answered > 0)
        {
            _connection.Features.Set(new PriorRequests { Count = _answered });
        }

        _input.AdvanceTo(buffer.Start);
        var pending = await _input.ReadAsync();
        _input.AdvanceTo(pending.Buffer.Start);
        return true;
    }

    // Sends the refusal written in the response head buffer, then ends the connection, as Kestrel does.
    private async Task<bool> RefuseAsync(int length, ReadOnlySequence<byte> buffer)
    {
        _input.AdvanceTo(buffer.End);
        await _socket.SendAsync(_responseHead.AsMemory(0, length), SocketFlags.None);
        return false;
    }

    private enum PrefaceMatch
    {
        No,
        Partial,
        Whole,
    }

    // Kestrel answers an HTTP/2 preface with a GOAWAY only as the first request of a connection, and with its 505
    // after that; a session of its own would see every preface as a first request, so the direct path gives the 505.
    private PrefaceMatch Preface(ReadOnlySequence<byte> buffer)
    {
        if (_answered == 0)
        {
            return PrefaceMatch.No;
        }

        var line = KestrelRefusal.Http2PrefaceLine;
        Span<byte> start = stackalloc byte[line.Length];
        var take = (int)Math.Min(buffer.Length, line.Length);
        buffer.Slice(0, take).CopyTo(start);
        return !line.StartsWith(start[..take]) ? PrefaceMatch.No : take == line.Length ? PrefaceMatch.Whole : PrefaceMatch.Partial;
    }

    private HeadKind Next(ReadOnlySequence<byte> buffer, out int length, out DirectAnswer? answer)
    {
        length = 0;
        answer = null;
        if (buffer.IsEmpty)
        {
            return HeadKind.Incomplete;
        }

        ReadOnlySpan<byte> data;
        if (buffer.IsSingleSegment)
        {
            data = buffer.FirstSpan;
        }
        else
        {
            var copy = _requestCopy ??= new byte[RequestHead.MaxBytes + 1];
            var take = (int)Math.Min(buffer.Length, copy.Length);
            buffer.Slice(0, take).CopyTo(copy);
            data = copy.AsSpan(0, take);
        }

        var kind = RequestHead.Parse(data, _hits.HeadLimits, out var head);
        if (kind != HeadKind.Delimited)
        {
            return kind;
        }

        length = head.Length;
        if (_hits.TryAnswer(head, _key, _responseHead, out var hit))
        {
            answer = hit;
        }

        return kind;
    }

    private async ValueTask SendAsync(DirectAnswer hit)
    {
        if (!MemoryMarshal.TryGetArray(hit.Body, out var body))
        {
            throw new InvalidOperationException("Stored bodies are arrays.");
        }

        _segments.Clear();
        _segments.Add(new ArraySegment<byte>(_responseHead, 0, hit.HeadLength));
        _segments.Add(body);
        _sendLimit = _hits.SendLimit(hit.HeadLength + body.Count);
        Wait(Waiting.Send);
        await _socket.SendAsync(_segments, SocketFlags.None);
        Wait(Waiting.None);
    }

    /// <returns>Whether the connection stays open: Kestrel's answer neither closed it nor aborted it.</returns>
    private async Task<bool> TakeTurnAsync(ReadOnlySequence<byte> head)
    {
        var turn = _spareTurn ?? new KestrelTurn(_connection, _hits.MaxResponseBufferSize);
        _spareTurn = null;
        turn.Prior.Count = _answered;
        foreach (var segment in head)
        {
            turn.Input.Write(segment.Span);
        }

        await turn.Input.FlushAsync();
        await turn.Input.CompleteAsync();
        var sending = SendTurnAsync(turn.Output);
        Volatile.Write(ref _turn, turn);
        try
        {
            await _kestrel(turn);
        }
        finally
        {
            Volatile.Write(ref _turn, null);
            turn.Finish();
        }

        if (!await sending || turn.Aborted || _closing)
        {
            return false;
        }

        turn.Reset();
        _spareTurn = turn;
        return true;
    }

    // Sends what Kestrel wrote for one turn; the answer's own head says whether the connection stays open.
    private async Task<bool> SendTurnAsync(PipeReader output)
    {
        var close = _close;
        close.Reset();
        try
        {
            while (true)
            {
                var result = await output.ReadAsync();
                var buffer = result.Buffer;
                close.Read(buffer);
                if (!buffer.IsEmpty)
                {
                    _segments.Clear();
                    foreach (var segment in buffer)
                    {
                        _segments.Add(MemoryMarshal.TryGetArray(segment, out var array) ? array : segment.ToArray());
                    }

                    await _socket.SendAsync(_segments, SocketFlags.None);
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            await output.CompleteAsync();
            return close.KeepAlive;
        }
        catch (Exception exception)
        {
            await output.CompleteAsync(exception);
            throw;
        }
    }

    // The deadline is written before the state, and read after it, so the heartbeat never pairs a new state with an
    // old deadline. Idle and head timeouts follow Kestrel's rule: from the last heartbeat, plus one interval.
    private void Wait(Waiting waiting)
    {
        var deadline = waiting switch
        {
            Waiting.Idle => KestrelDeadline(_hits.KeepAliveTimeout),
            Waiting.Head => KestrelDeadline(_hits.RequestHeadersTimeout),
            Waiting.Send when _sendLimit != Timeout.InfiniteTimeSpan => Environment.TickCount64 + (long)_sendLimit.TotalMilliseconds,
            _ => long.MaxValue,
        };
        Volatile.Write(ref _deadline, deadline);
        Volatile.Write(ref _waiting, (int)waiting);
    }

    private long KestrelDeadline(TimeSpan limit) =>
        limit == Timeout.InfiniteTimeSpan ? long.MaxValue : Volatile.Read(ref _lastTick) + (long)limit.TotalMilliseconds + HeartbeatMilliseconds;

    // Judged again on the connection's own thread when the read it cancels returns.
    private bool TimedOut() => Environment.TickCount64 > Volatile.Read(ref _deadline);

    private void Tick()
    {
        Volatile.Read(ref _turn)?.Tick();
        var now = Environment.TickCount64;
        var waiting = (Waiting)Volatile.Read(ref _waiting);
        var expired = now > Volatile.Read(ref _deadline);
        Volatile.Write(ref _lastTick, now);
        if (!expired)
        {
            return;
        }

        if (waiting == Waiting.Send)
        {
            // A client reading slower than Kestrel:Limits:MinResponseDataRate, as Kestrel would treat it.
            _connection.Abort(new ConnectionAbortedException("The client read a direct hit below the minimum response data rate."));
        }
        else
        {
            Cancel();
        }
    }

    private void RequestClose()
    {
        _closing = true;
        Cancel();
    }

    private void Cancel()
    {
        lock (_gate)
        {
            if (!_handedOff)
            {
                _input.CancelPendingRead();
            }
        }
    }
}
