namespace Gateway.Direct;

/// <summary>
/// The answers Kestrel gives, with no application involved, to a request it refuses before reading it: the status
/// line, then exactly the fields its error path sets (<c>Content-Length: 0</c>, <c>Connection: close</c>, <c>Date</c>,
/// <c>Server</c>), in the order it writes them; the connection closes after. The direct path writes these itself where
/// handing the bytes to a fresh Kestrel session would not give Kestrel's answer: a head that times out (the session's
/// timer would start again) and an HTTP/2 preface after a first request (the session would take it for the first).
/// </summary>
internal static class KestrelRefusal
{
    public static ReadOnlySpan<byte> RequestTimeout => "HTTP/1.1 408 Request Timeout"u8;

    public static ReadOnlySpan<byte> VersionNotSupported => "HTTP/1.1 505 HTTP Version Not Supported"u8;

    /// <summary>The first line of an HTTP/2 client preface, which Kestrel answers with a GOAWAY only as a connection's first request.</summary>
    public static ReadOnlySpan<byte> Http2PrefaceLine => "PRI * HTTP/2.0\r\n"u8;

    /// <returns>Bytes written into <paramref name="buffer"/>.</returns>
    public static int Write(ReadOnlySpan<byte> statusLine, Span<byte> buffer)
    {
        // Kestrel adds Server unless KestrelServerOptions.AddServerHeader is off, which this gateway never turns off.
        var writer = new HeadWriter(buffer);
        writer.Line(statusLine);
        writer.Line("Content-Length: 0"u8);
        writer.Line("Connection: close"u8);
        writer.Field("Date: "u8, HttpDate.Now());
        writer.Line("Server: Kestrel"u8);
        writer.Line(""u8);
        return writer.Overflowed ? throw new InvalidOperationException("A refusal fits any response head buffer.") : writer.Length;
    }
}
