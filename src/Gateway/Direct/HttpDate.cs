using System.Globalization;
using System.Text;

namespace Gateway.Direct;

/// <summary>The <c>Date</c> field's value (RFC 9110 IMF-fixdate), formatted once per second, as Kestrel does.</summary>
internal static class HttpDate
{
    private sealed record Stamp(long Second, byte[] Value);

    private static Stamp s_current = new(-1, []);

    public static ReadOnlySpan<byte> Now()
    {
        var now = DateTimeOffset.UtcNow;
        var second = now.ToUnixTimeSeconds();
        var stamp = Volatile.Read(ref s_current);
        if (stamp.Second != second)
        {
            stamp = new Stamp(second, Encoding.ASCII.GetBytes(now.ToString("r", CultureInfo.InvariantCulture)));
            Volatile.Write(ref s_current, stamp);
        }

        return stamp.Value;
    }
}
