namespace Gateway.Jobs;

/// <summary>Whether a request accepts gzip, read without allocating (this runs on every cache hit).</summary>
internal static class AcceptEncoding
{
    public static bool AllowsGzip(HttpRequest request)
    {
        bool? gzip = null;
        var any = false;
        foreach (var value in request.Headers.AcceptEncoding)
        {
            Scan(value.AsSpan(), ref gzip, ref any);
        }

        return gzip ?? any;
    }

    /// <summary>Whether one <c>Accept-Encoding</c> field value accepts gzip.</summary>
    public static bool AllowsGzip(ReadOnlySpan<char> value)
    {
        bool? gzip = null;
        var any = false;
        Scan(value, ref gzip, ref any);
        return gzip ?? any;
    }

    // gzip named decides by its own weight; "*" speaks only for codings not named (RFC 9110 12.5.3), so
    // "gzip;q=0, *" refuses gzip.
    private static void Scan(ReadOnlySpan<char> value, ref bool? gzip, ref bool any)
    {
        var rest = value;
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var item = (comma < 0 ? rest : rest[..comma]).Trim();
            rest = comma < 0 ? [] : rest[(comma + 1)..];
            var semicolon = item.IndexOf(';');
            var coding = (semicolon < 0 ? item : item[..semicolon]).Trim();
            var accepted = semicolon < 0 || !IsZeroQuality(item[(semicolon + 1)..]);
            if (coding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                gzip = (gzip ?? false) || accepted;
            }
            else if (coding.SequenceEqual("*"))
            {
                any |= accepted;
            }
        }
    }

    private static bool IsZeroQuality(ReadOnlySpan<char> parameters)
    {
        var q = parameters.Trim();
        if (!q.StartsWith("q=", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        q = q[2..].Trim();
        return q.Length > 0 && q[0] == '0' && !q[1..].ContainsAnyExcept(".0");
    }
}
