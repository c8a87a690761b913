namespace Gateway.Operations;

/// <summary>
/// The last <see cref="LatencyLedger.Minutes"/> minutes of one kind of point, one slot per minute, reused as the
/// minutes pass: the history's memory is fixed however long the gateway runs. One writer (the sampler) replaces
/// whole points; readers take a window and see each point whole.
/// </summary>
internal sealed class MinuteRing<T>(Func<long, T> empty, Func<T, long> minuteOf) where T : class
{
    private readonly T?[] _slots = new T?[LatencyLedger.Minutes];

    public void Put(T point) => Volatile.Write(ref _slots[minuteOf(point) % _slots.Length], point);

    /// <summary>The minutes up to <paramref name="last"/>, oldest first; an empty point for a minute the ring does not hold.</summary>
    public T[] Window(long last)
    {
        var window = new T[_slots.Length];
        for (var i = 0; i < window.Length; i++)
        {
            var minute = last - window.Length + 1 + i;
            window[i] = Volatile.Read(ref _slots[minute % _slots.Length]) is { } point && minuteOf(point) == minute ? point : empty(minute);
        }

        return window;
    }
}
