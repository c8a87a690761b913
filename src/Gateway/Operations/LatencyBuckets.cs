using System.Numerics;

namespace Gateway.Operations;

/// <summary>
/// Log-linear latency buckets in microseconds, four per power of two (each within 12.5% of its midpoint), from
/// 0 µs to about 4.5 minutes; slower answers land in the last bucket. Fixed buckets merge by addition, which is what lets
/// every replica's histograms be summed in Redis and the deployment's percentiles read from the sum.
/// </summary>
internal static class LatencyBuckets
{
    public const int Count = 108;

    public static int IndexOf(TimeSpan elapsed)
    {
        var micros = elapsed.Ticks / 10;
        if (micros < 4)
        {
            return (int)Math.Max(micros, 0);
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)micros);
        var index = (exponent - 1) * 4 + (int)((micros >> (exponent - 2)) & 3);
        return Math.Min(index, Count - 1);
    }

    /// <summary>The middle of a bucket, in milliseconds.</summary>
    public static double MidpointMs(int index)
    {
        if (index < 4)
        {
            return index / 1000.0;
        }

        var shift = index / 4 - 1;
        var lower = (4L + index % 4) << shift;
        var upper = (5L + index % 4) << shift;
        return (lower + upper) / 2000.0;
    }

    /// <summary>The <paramref name="quantile"/> (0 to 1) of a histogram in milliseconds; null when it is empty.</summary>
    public static double? Percentile(ReadOnlySpan<long> histogram, double quantile)
    {
        long total = 0;
        foreach (var count in histogram)
        {
            total += count;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (seen >= rank)
            {
                return MidpointMs(i);
            }
        }

        return MidpointMs(histogram.Length - 1);
    }
}
