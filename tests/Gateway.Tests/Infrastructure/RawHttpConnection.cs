using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// One HTTP/1.1 connection written and read by hand. Requests go out byte for byte as written: HttpClient normalises
/// paths (dot segments, escapes) before sending, so it cannot show what a hostile client's bytes do to the server.
/// Each response is framed only by what its own headers say (Content-Length, or none for HEAD and 304), so a body
/// one byte too long or too short shows up as a broken next response instead of being smoothed over by HttpClient.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private readonly List<byte> _pending = [];
    private NetworkStream _stream = null!;

    public static async Task<RawHttpConnection> OpenAsync(Uri server)
    {
        var connection = new RawHttpConnection();
        await connection._tcp.ConnectAsync(server.Host, server.Port, TestContext.Current.CancellationToken);
        connection._stream = connection._tcp.GetStream();
        return connection;
    }

    /// <summary>Sends one GET for <paramref name="rawTarget"/> on a connection of its own; the status, or 0 when the server closed without one.</summary>
    public static async Task<int> GetStatusAsync(Uri server, string rawTarget, params string[] headers)
    {
        await using var connection = await OpenAsync(server);
        await connection.SendAsync(Request("GET", rawTarget, ["Connection: close", .. headers]));
        return await connection.ReadStatusAsync();
    }

    /// <summary>Writes requests as given, all in one write when there are several (pipelining).</summary>
    public Task SendAsync(params string[] requests) =>
        _stream.WriteAsync(Encoding.Latin1.GetBytes(string.Concat(requests)), TestContext.Current.CancellationToken).AsTask();

    public static string Request(string method, string target, params string[] headers)
    {
        var request = new StringBuilder()
            .Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\nHost: gateway\r\n")
            .Append("Authorization: Bearer ").Append(GatewayFactory.TeamAKey).Append("\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    /// <param name="head">The request was HEAD: the headers describe a body that is not sent.</param>
    public async Task<RawResponse> ReadResponseAsync(bool head = false)
    {
        var headerEnd = await FillUntilAsync(() => IndexOfHeaderEnd());
        var text = Encoding.Latin1.GetString(_pending.GetRange(0, headerEnd).ToArray());
        _pending.RemoveRange(0, headerEnd + 4);
        var lines = text.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        Assert.False(headers.ContainsKey("Transfer-Encoding"), "a hit has a known length and is never chunked");
        var length = head || status == 304 ? 0 : int.Parse(headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture);
        await FillUntilAsync(() => _pending.Count >= length ? length : -1);
        var body = _pending.GetRange(0, length).ToArray();
        _pending.RemoveRange(0, length);
        return new RawResponse(status, headers, body);
    }

    /// <summary>Bytes the server sent beyond the responses read so far, after waiting briefly for more.</summary>
    public async Task<int> StrayBytesAsync()
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        wait.CancelAfter(TimeSpan.FromMilliseconds(200));
        var buffer = new byte[4096];
        try
        {
            var read = await _stream.ReadAsync(buffer, wait.Token);
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }

        return _pending.Count;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private async Task<int> ReadStatusAsync()
    {
        var lineEnd = await FillUntilAsync(IndexOfLineEnd, closedIsAnAnswer: true);
        var parts = lineEnd < 0 ? [] : Encoding.Latin1.GetString(_pending.GetRange(0, lineEnd).ToArray()).Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : 0;
    }

    private int IndexOfLineEnd() => CollectionsMarshal.AsSpan(_pending).IndexOf("\r\n"u8);

    private int IndexOfHeaderEnd() => CollectionsMarshal.AsSpan(_pending).IndexOf("\r\n\r\n"u8);

    /// <param name="closedIsAnAnswer">The server may close instead: then -1 rather than a failure.</param>
    private async Task<int> FillUntilAsync(Func<int> found, bool closedIsAnAnswer = false)
    {
        var buffer = new byte[64 * 1024];
        int at;
        while ((at = found()) < 0)
        {
            var read = await _stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            if (read == 0 && closedIsAnAnswer)
            {
                return -1;
            }

            Assert.True(read > 0, "the server closed the connection mid-response");
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        return at;
    }
}

public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body);
