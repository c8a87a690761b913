namespace Gateway.Jobs;

/// <summary>RFC 9211 <c>Cache-Status</c> values for job responses; the common ones are preallocated.</summary>
internal static class CacheStatusHeader
{
    public const string Name = "Cache-Status";
    public const string Hit = "Gateway; hit";
    public const string Miss = "Gateway; fwd=uri-miss";
    public const string MissStored = "Gateway; fwd=uri-miss; stored";
    public const string InvalidRequest = "Gateway; detail=invalid-job-id";

    /// <summary>The start every shared running answer's value has, and no terminal hit's.</summary>
    public const string SharedPrefix = Hit + "; ttl=";

    /// <summary>The start of a stale running answer's value: a hit whose ttl is negative (RFC 9211), refreshed behind it.</summary>
    public const string StalePrefix = Hit + "; fwd=stale; ttl=";

    /// <param name="now">When the answer is written, for the time a shared running answer has left.</param>
    public static string For(JobRead read, DateTimeOffset now)
    {
        if (read.Outcome == CacheOutcome.Stale)
        {
            return StalePrefix + RunningHeaders.StaleTtlMilliseconds(read.SharedUntil ?? now, now).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (read.Outcome == CacheOutcome.Shared)
        {
            var left = RunningHeaders.TtlMilliseconds(read.SharedUntil ?? now, now);
            var value = SharedPrefix + left.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return read.Collapsed ? value + "; collapsed" : value;
        }

        return For(read);
    }

    public static string For(JobRead read)
    {
        if (read.Outcome == CacheOutcome.Hit)
        {
            return read.Collapsed ? Hit + "; collapsed" : Hit;
        }

        var value = read.Outcome == CacheOutcome.MissStored ? MissStored : Miss;
        if (read.Collapsed)
        {
            value += "; collapsed";
        }

        return read.CacheAvailable ? value : value + "; detail=cache-unavailable";
    }
}
