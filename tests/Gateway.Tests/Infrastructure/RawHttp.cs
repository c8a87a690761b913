using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Sends a request line exactly as written, byte for byte. HttpClient normalises paths (dot segments, escapes)
/// before sending, so it cannot show what a hostile client's bytes do to the server.
/// </summary>
public static class RawHttp
{
    public static async Task<int> GetStatusAsync(Uri server, string rawTarget, params string[] extraHeaders)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append("GET ").Append(rawTarget).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(server.Authority).Append("\r\n")
            .Append("Connection: close\r\n")
            .Append("Authorization: Bearer ").Append(GatewayFactory.TeamAKey).Append("\r\n");
        foreach (var header in extraHeaders)
        {
            request.Append(header).Append("\r\n");
        }

        request.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()), TestContext.Current.CancellationToken);

        using var reader = new StreamReader(stream, Encoding.Latin1);
        var statusLine = await reader.ReadLineAsync(TestContext.Current.CancellationToken) ?? string.Empty;
        var parts = statusLine.Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : 0;
    }
}
