using System.Globalization;
using System.Net.Http.Headers;

namespace Gateway.Upstream;

/// <summary>Reads the retry hints the official SDKs obey (<c>retry-after-ms</c>, then <c>Retry-After</c>).</summary>
internal static class RetryAfterHint
{
    public const string MillisecondsHeader = "retry-after-ms";

    public static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(60);

    public static TimeSpan? From(HttpResponseHeaders headers)
    {
        if (headers.TryGetValues(MillisecondsHeader, out var values) &&
            double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };
    }

    /// <summary>The hint to give callers: the upstream's own if it sent one, else the configured default, capped.</summary>
    public static TimeSpan Bounded(TimeSpan? upstream, TimeSpan fallback)
    {
        var chosen = upstream ?? fallback;
        if (chosen < TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        return chosen > Ceiling ? Ceiling : chosen;
    }
}
