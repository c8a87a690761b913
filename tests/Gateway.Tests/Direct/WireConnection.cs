using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Direct;

/// <summary>
/// One HTTP/1.1 connection driven by hand, for comparing two servers byte for byte: requests go out exactly as
/// written (in one write, or cut into pieces that are each a write of their own), and responses are framed only by
/// what their own heads say (RFC 9112 section 6.3: none for HEAD, 1xx, 204 and 304; chunked; Content-Length; else
/// until the server closes), keeping every header line as it came, duplicates included.
/// </summary>
public sealed class WireConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _serverClosed;

    private WireConnection(Socket socket) => _socket = socket;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static async Task<WireConnection> OpenAsync(Uri server)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.Host, server.Port, Cancel);
        return new WireConnection(socket);
    }

    /// <summary>A request head with a Host and, when a key is given, the gateway key; lines as given, CRLF-terminated.</summary>
    public static string Request(string method, string target, string? key, params string[] headers)
    {
        var request = new StringBuilder().Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\nHost: gateway\r\n");
        if (key is not null)
        {
            request.Append("Authorization: Bearer ").Append(key).Append("\r\n");
        }

        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    public Task SendAsync(params string[] requests) => SendAsync(Encoding.Latin1.GetBytes(string.Concat(requests)));

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None, Cancel);

    /// <summary>Sends <paramref name="bytes"/> as one write per piece, cut before each of <paramref name="cuts"/>.</summary>
    public async Task SendInPiecesAsync(byte[] bytes, IEnumerable<int> cuts)
    {
        var from = 0;
        foreach (var cut in cuts.Append(bytes.Length).Where(c => c > 0).Distinct().Order())
        {
            await _socket.SendAsync(bytes.AsMemory(from, cut - from), SocketFlags.None, Cancel);
            from = cut;
        }
    }

    /// <param name="head">The request was HEAD: the headers describe a body that is not sent.</param>
    public async Task<WireResponse> ReadResponseAsync(bool head = false)
    {
        var headEnd = await FillUntilAsync(() => IndexOf("\r\n\r\n"u8), "the head of a response");
        var lines = Encoding.Latin1.GetString(_buffer, _start, headEnd - _start).Split("\r\n");
        _start = headEnd + 4;
        var statusLine = lines[0];
        var status = int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(static line =>
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            return KeyValuePair.Create(line[..colon], line[(colon + 1)..].Trim(' ', '\t'));
        }).ToArray();
        var response = new WireResponse(statusLine, status, headers, []);
        if (head || status is < 200 or 204 or 304)
        {
            return response;
        }

        if (response.Header("Transfer-Encoding") is { } coding)
        {
            Assert.Equal("chunked", coding);
            return response with { Body = await ReadChunkedAsync() };
        }

        if (response.Header("Content-Length") is { } length)
        {
            return response with { Body = await TakeAsync(int.Parse(length, CultureInfo.InvariantCulture)) };
        }

        while (await ReadMoreAsync())
        {
        }

        return response with { Body = Take(_end - _start) };
    }

    /// <summary>Waits for the server to close the connection (FIN or reset); fails if it sends anything instead.</summary>
    public async Task ClosedByServerAsync(TimeSpan within)
    {
        Assert.True(_end == _start, $"the server sent {_end - _start} bytes beyond the last response");
        if (_serverClosed)
        {
            return;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        wait.CancelAfter(within);
        var buffer = new byte[4096];
        try
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
            Assert.True(read == 0, $"the server sent {read} more bytes instead of closing: {Encoding.Latin1.GetString(buffer, 0, Math.Min(read, 200))}");
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
        }
        catch (OperationCanceledException) when (!Cancel.IsCancellationRequested)
        {
            Assert.Fail($"the server kept the connection open for {within}");
        }
    }

    /// <summary>
    /// Everything the server sends beyond the responses read so far, up to its closing the connection (FIN or reset);
    /// fails if it still holds the connection after <paramref name="within"/>.
    /// </summary>
    public async Task<byte[]> ReadUntilClosedAsync(TimeSpan within)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        wait.CancelAfter(within);
        try
        {
            while (await ReadMoreAsync(wait.Token))
            {
            }
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            _serverClosed = true;
        }
        catch (OperationCanceledException) when (!Cancel.IsCancellationRequested)
        {
            Assert.Fail($"the server kept the connection open for {within}");
        }

        return Take(_end - _start);
    }

    /// <summary>
    /// Whether the server still serves this connection after the last response: sends <paramref name="probe"/> and
    /// answers the probe's status, or null when the server has closed (EOF, reset, or a refused write).
    /// </summary>
    public async Task<int?> StatusOfNextAsync(string probe)
    {
        try
        {
            await SendAsync(probe);
            return (await ReadResponseAsync()).Status;
        }
        catch (Exception exception) when (exception is SocketException or ServerClosedException)
        {
            return null;
        }
    }

    /// <summary>Bytes the server sent beyond the responses read so far, after waiting briefly for more.</summary>
    public async Task<int> StrayBytesAsync()
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        wait.CancelAfter(TimeSpan.FromMilliseconds(200));
        try
        {
            await ReadMoreAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!Cancel.IsCancellationRequested)
        {
        }

        return _end - _start;
    }

    /// <summary>Reads at least <paramref name="bytes"/> of whatever the server is sending, then resets the connection.</summary>
    public async Task ReadThenResetAsync(int bytes)
    {
        await FillUntilAsync(() => _end - _start >= bytes ? 0 : -1, $"{bytes} bytes");
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<byte[]> ReadChunkedAsync()
    {
        using var body = new MemoryStream();
        while (true)
        {
            var lineEnd = await FillUntilAsync(() => IndexOf("\r\n"u8), "a chunk size");
            var sizeText = Encoding.Latin1.GetString(_buffer, _start, lineEnd - _start).Split(';')[0].Trim();
            _start = lineEnd + 2;
            var size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                // Trailer lines, if any, then the empty line that ends the body.
                while (true)
                {
                    var trailerEnd = await FillUntilAsync(() => IndexOf("\r\n"u8), "the end of a chunked body");
                    var empty = trailerEnd == _start;
                    _start = trailerEnd + 2;
                    if (empty)
                    {
                        return body.ToArray();
                    }
                }
            }

            body.Write(await TakeAsync(size));
            Assert.Equal("\r\n", Encoding.Latin1.GetString(await TakeAsync(2)));
        }
    }

    private async Task<byte[]> TakeAsync(int count)
    {
        await FillUntilAsync(() => _end - _start >= count ? 0 : -1, $"a body of {count} bytes");
        return Take(count);
    }

    private byte[] Take(int count)
    {
        var taken = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return taken;
    }

    private int IndexOf(ReadOnlySpan<byte> value)
    {
        var at = _buffer.AsSpan(_start, _end - _start).IndexOf(value);
        return at < 0 ? -1 : _start + at;
    }

    private async Task<int> FillUntilAsync(Func<int> found, string what)
    {
        int at;
        while ((at = found()) < 0)
        {
            if (!await ReadMoreAsync())
            {
                throw new ServerClosedException($"the server closed the connection before {what} ({_end - _start} bytes unread)");
            }
        }

        return at;
    }

    private Task<bool> ReadMoreAsync() => ReadMoreAsync(Cancel);

    private async Task<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        if (_serverClosed)
        {
            return false;
        }

        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }

        if (_buffer.Length - _end < 16 * 1024)
        {
            var larger = new byte[Math.Max(_buffer.Length, (_end - _start) * 2 + 64 * 1024)];
            Array.Copy(_buffer, _start, larger, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _buffer = larger;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        _end += read;
        _serverClosed = read == 0;
        return read > 0;
    }
}

/// <summary>The server closed the connection where the client still expected bytes.</summary>
public sealed class ServerClosedException(string message) : Exception(message);

/// <summary>One response as it came off the wire: its status line, every header line in order, the decoded body.</summary>
public sealed record WireResponse(string StatusLine, int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    /// <summary>The header's value, its values joined by ", " when it came more than once, or null.</summary>
    public string? Header(string name)
    {
        var values = Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(static h => h.Value).ToArray();
        return values.Length == 0 ? null : string.Join(", ", values);
    }

    /// <summary>
    /// The head as a client can tell it apart: header names without their case, in a fixed order, values exact,
    /// but for <c>Date</c>, whose value only has to be a date, since two servers answer at different instants.
    /// </summary>
    public IReadOnlyList<string> ComparableHead =>
    [
        StatusLine,
        .. Headers
            .Select(static h => h.Key.ToLowerInvariant() + ": " + (IsDate(h) ? "<an HTTP date>" : h.Value))
            .Order(StringComparer.Ordinal),
    ];

    private static bool IsDate(KeyValuePair<string, string> header) =>
        string.Equals(header.Key, "Date", StringComparison.OrdinalIgnoreCase) &&
        DateTimeOffset.TryParseExact(header.Value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
}
