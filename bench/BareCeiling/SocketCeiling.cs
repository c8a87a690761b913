using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

// The socket ceiling (--Socket=true): HTTP/1.1 keep-alive requests read straight from the connection's input, each
// answered with one sendmsg of a head and the stored body. It trusts its client (wrk): a head is whatever ends in
// CRLFCRLF, the path is the second word of its first line, gzip is "gzip" anywhere in the head.
internal static class SocketCeiling
{
    public static async Task ServeAsync(ConnectionContext connection, Dictionary<string, Body> bodies)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()!.Socket;
        var input = connection.Transport.Input;
        var head = new byte[1024];
        var segments = new List<ArraySegment<byte>>(2) { default, default };
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            while (Next(ref buffer, bodies, head, out var length) is { } body)
            {
                segments[0] = new ArraySegment<byte>(head, 0, length);
                segments[1] = body;
                await socket.SendAsync(segments, SocketFlags.None);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static byte[]? Next(ref ReadOnlySequence<byte> buffer, Dictionary<string, Body> bodies, byte[] head, out int length)
    {
        length = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> request, "\r\n\r\n"u8))
        {
            return null;
        }

        buffer = buffer.Slice(reader.Position);
        var text = Encoding.ASCII.GetString(request);
        var path = text.Split(' ', 3)[1];
        var entry = bodies[path];
        var gzip = entry.Gzip is not null && text.Contains("gzip", StringComparison.OrdinalIgnoreCase);
        var body = gzip ? entry.Gzip! : entry.Identity;
        var span = head.AsSpan();
        length = Append(span, 0, "HTTP/1.1 200 OK\r\nContent-Length: "u8);
        Utf8Formatter.TryFormat(body.Length, span[length..], out var digits);
        length += digits;
        length = Append(span, length, "\r\nContent-Type: application/json\r\nDate: "u8);
        length = Append(span, length, Date());
        length = Append(span, length, "\r\nServer: Kestrel\r\n"u8);
        if (gzip)
        {
            length = Append(span, length, "Content-Encoding: gzip\r\n"u8);
        }

        if (entry.Gzip is not null)
        {
            length = Append(span, length, "Vary: Accept-Encoding\r\n"u8);
        }

        length = Append(span, length, "\r\n"u8);
        return body;
    }

    private static int Append(Span<byte> head, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(head[at..]);
        return at + bytes.Length;
    }

    private sealed record Stamp(long Second, byte[] Value);

    private static Stamp s_date = new(-1, []);

    private static byte[] Date()
    {
        var now = DateTimeOffset.UtcNow;
        var date = Volatile.Read(ref s_date);
        if (date.Second != now.ToUnixTimeSeconds())
        {
            date = new Stamp(now.ToUnixTimeSeconds(), Encoding.ASCII.GetBytes(now.ToString("r", CultureInfo.InvariantCulture)));
            Volatile.Write(ref s_date, date);
        }

        return date.Value;
    }
}
