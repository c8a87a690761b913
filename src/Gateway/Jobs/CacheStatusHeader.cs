namespace Gateway.Jobs;

/// <summary>RFC 9211 <c>Cache-Status</c> values for job responses; the common ones are preallocated.</summary>
internal static class CacheStatusHeader
{
    public const string Name = "Cache-Status";
    public const string Hit = "Gateway; hit";
    public const string Miss = "Gateway; fwd=uri-miss";
    public const string MissStored = "Gateway; fwd=uri-miss; stored";
    public const string InvalidRequest = "Gateway; detail=invalid-job-id";

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
