namespace Gateway.Tests.Infrastructure;

/// <summary>Rate checks on what the stand-in recorded.</summary>
public static class RequestWindows
{
    /// <summary>The most requests that fall within any one window of the given length.</summary>
    public static int MaxInAnyWindow(IEnumerable<DateTimeOffset> times, TimeSpan window)
    {
        var sorted = times.Order().ToArray();
        var max = 0;
        for (int start = 0, end = 0; start < sorted.Length; start++)
        {
            while (end < sorted.Length && sorted[end] - sorted[start] < window)
            {
                end++;
            }

            max = Math.Max(max, end - start);
        }

        return max;
    }
}
