using System.Buffers;
using System.Text;

namespace Gateway.Direct;

/// <summary>What a connection's next bytes are, as far as the direct path needs to know.</summary>
internal enum HeadKind
{
    /// <summary>No complete head yet.</summary>
    Incomplete,

    /// <summary>
    /// Anything this parser does not vouch for: not HTTP/1.1, a body, a bare LF, an obs-fold, a second Host, an
    /// upgrade, a close. The rest of the connection is Kestrel's, which parses (and refuses) it as always.
    /// </summary>
    Opaque,

    /// <summary>A bodyless HTTP/1.1 request whose end is where its head ends: the next request starts there.</summary>
    Delimited,
}

/// <summary>
/// A strict reading of one HTTP/1.1 request head (RFC 9112), only as far as the direct path needs: method, target
/// and the few fields that decide a hit. It never decides that a request is malformed; whatever it does not accept
/// is <see cref="HeadKind.Opaque"/> and goes to Kestrel, so the gateway answers bad input exactly as before. What
/// it does accept it must delimit exactly as Kestrel would, hence no body of any kind, one Host, CRLF only.
/// </summary>
internal ref struct RequestHead
{
    /// <summary>Longer heads are Kestrel's: a hit's head is a few hundred bytes.</summary>
    public const int MaxBytes = 8 * 1024;

    private static readonly SearchValues<byte> TokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly SearchValues<byte> TargetBytes = SearchValues.Create(Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(static b => (byte)b).ToArray());

    /// <summary>Bytes of the head, its final empty line included.</summary>
    public int Length;

    public ReadOnlySpan<byte> Method;

    public ReadOnlySpan<byte> Target;

    public ReadOnlySpan<byte> Host;

    public ReadOnlySpan<byte> Authorization;

    public ReadOnlySpan<byte> AcceptEncoding;

    public int AuthorizationCount;

    public int AcceptEncodingCount;

    /// <summary>A field that makes the answer conditional or negotiated beyond gzip (If-None-Match, Prefer).</summary>
    public bool Conditional;

    /// <param name="limits">Kestrel's own limits: a head past any of them is Kestrel's, which answers 414 or 431.</param>
    public static HeadKind Parse(ReadOnlySpan<byte> data, HeadLimits limits, out RequestHead head)
    {
        head = default;
        var lineStart = 0;
        var lines = 0;
        var hosts = 0;
        var contentLengths = 0;
        while (true)
        {
            var feed = data[lineStart..].IndexOf((byte)'\n');
            if (feed < 0)
            {
                // A lone CR is fine only as the last byte read so far: its LF may come with the next read.
                var tail = data[lineStart..];
                var carriageReturn = tail.IndexOf((byte)'\r');
                return data.Length > limits.MaxBytes || lines == 0 && !CouldStartRequestLine(tail) || carriageReturn >= 0 && carriageReturn != tail.Length - 1 ? HeadKind.Opaque : HeadKind.Incomplete;
            }

            var lineEnd = lineStart + feed;
            if (lineEnd == 0 || data[lineEnd - 1] != '\r' || lineEnd + 1 > limits.MaxBytes || lines > limits.MaxFields ||
                lines == 0 && lineEnd + 1 > limits.MaxRequestLine)
            {
                return HeadKind.Opaque;
            }

            var line = data[lineStart..(lineEnd - 1)];
            if (line.Contains((byte)'\r'))
            {
                return HeadKind.Opaque;
            }

            if (lines++ == 0)
            {
                if (!ReadRequestLine(line, ref head))
                {
                    return HeadKind.Opaque;
                }
            }
            else if (line.IsEmpty)
            {
                head.Length = lineEnd + 1;
                return hosts == 1 && contentLengths <= 1 ? HeadKind.Delimited : HeadKind.Opaque;
            }
            else if (!ReadField(line, ref head, ref hosts, ref contentLengths))
            {
                return HeadKind.Opaque;
            }

            lineStart = lineEnd + 1;
        }
    }

    // The first bytes of a connection that is not HTTP/1.1 at all (a TLS ClientHello, an HTTP/2 preface) go to Kestrel
    // at once rather than waiting for a line end they may never send.
    private static bool CouldStartRequestLine(ReadOnlySpan<byte> partial)
    {
        var space = partial.IndexOf((byte)' ');
        var method = space < 0 ? partial : partial[..space];
        if (method.Length > 16 || method.ContainsAnyExceptInRange((byte)'A', (byte)'Z') || space == 0)
        {
            return false;
        }

        if (space < 0 || space == partial.Length - 1)
        {
            return true;
        }

        var rest = partial[(space + 1)..];
        space = rest.IndexOf((byte)' ');
        var target = space < 0 ? rest : rest[..space];
        if (rest[0] != '/' || target.ContainsAnyExcept(TargetBytes))
        {
            return false;
        }

        return space < 0 || "HTTP/1.1\r"u8.StartsWith(rest[(space + 1)..]);
    }

    private static bool ReadRequestLine(ReadOnlySpan<byte> line, ref RequestHead head)
    {
        var space = line.IndexOf((byte)' ');
        if (space is <= 0 or > 16 || line[..space].ContainsAnyExceptInRange((byte)'A', (byte)'Z'))
        {
            return false;
        }

        head.Method = line[..space];
        var rest = line[(space + 1)..];
        space = rest.IndexOf((byte)' ');
        if (space <= 0 || rest[0] != '/' || rest[..space].ContainsAnyExcept(TargetBytes))
        {
            return false;
        }

        head.Target = rest[..space];
        return rest[(space + 1)..].SequenceEqual("HTTP/1.1"u8);
    }

    private static bool ReadField(ReadOnlySpan<byte> line, ref RequestHead head, ref int hosts, ref int contentLengths)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].ContainsAnyExcept(TokenBytes))
        {
            return false;
        }

        var name = line[..colon];
        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            // Printable ASCII only: Kestrel decides what other bytes mean (it refuses most), so they make the head opaque.
            if (b is < 0x20 and not (byte)'\t' or >= 0x7F)
            {
                return false;
            }
        }

        if (Is(name, "Host"u8))
        {
            head.Host = value;
            hosts++;
        }
        else if (Is(name, "Authorization"u8))
        {
            head.Authorization = value;
            head.AuthorizationCount++;
        }
        else if (Is(name, "Accept-Encoding"u8))
        {
            head.AcceptEncoding = value;
            head.AcceptEncodingCount++;
        }
        else if (Is(name, "Content-Length"u8))
        {
            // Only an empty body is delimited here; any other length, valid or not, is Kestrel's to read or refuse.
            contentLengths++;
            return value.SequenceEqual("0"u8);
        }
        else if (Is(name, "Connection"u8))
        {
            return value.Length == "keep-alive".Length && Ascii.EqualsIgnoreCase(value, "keep-alive"u8);
        }
        else if (Is(name, "Transfer-Encoding"u8) || Is(name, "Expect"u8) || Is(name, "Upgrade"u8))
        {
            return false;
        }
        else if (Is(name, "If-None-Match"u8) || Is(name, "Prefer"u8))
        {
            head.Conditional = true;
        }

        return true;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> known) =>
        name.Length == known.Length && Ascii.EqualsIgnoreCase(name, known);
}

/// <summary>The bounds within which <see cref="RequestHead"/> reads a head, from Kestrel's limits and its own.</summary>
internal readonly record struct HeadLimits(int MaxBytes, int MaxFields, int MaxRequestLine)
{
    public static HeadLimits From(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits) =>
        new(Math.Min(RequestHead.MaxBytes, limits.MaxRequestHeadersTotalSize), limits.MaxRequestHeaderCount, limits.MaxRequestLineSize);
}
