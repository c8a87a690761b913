using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// One keep-alive HTTP/1.1 connection read by hand: each response is framed only by what its own headers say
/// (Content-Length, or none for HEAD and 304), so a body one byte too long or too short shows up as a broken next
/// response instead of being smoothed over by HttpClient.
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

    private int IndexOfHeaderEnd()
    {
        for (var i = 0; i + 3 < _pending.Count; i++)
        {
            if (_pending[i] == '\r' && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private async Task<int> FillUntilAsync(Func<int> found)
    {
        var buffer = new byte[64 * 1024];
        int at;
        while ((at = found()) < 0)
        {
            var read = await _stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            Assert.True(read > 0, "the server closed the connection mid-response");
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        return at;
    }
}

public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body);
