namespace Gateway.Jobs;

/// <summary>Whether a request accepts gzip, read without allocating (this runs on every cache hit).</summary>
internal static class AcceptEncoding
{
    public static bool AllowsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            if (AllowsGzip(value.AsSpan()))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether one <c>Accept-Encoding</c> field value accepts gzip.</summary>
    public static bool AllowsGzip(ReadOnlySpan<char> value)
    {
        var rest = value;
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var item = (comma < 0 ? rest : rest[..comma]).Trim();
            rest = comma < 0 ? [] : rest[(comma + 1)..];
            var semicolon = item.IndexOf(';');
            var coding = (semicolon < 0 ? item : item[..semicolon]).Trim();
            if ((coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || coding.SequenceEqual("*")) &&
                (semicolon < 0 || !IsZeroQuality(item[(semicolon + 1)..])))
            {
                return true;
            }
        }

        return false;
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
