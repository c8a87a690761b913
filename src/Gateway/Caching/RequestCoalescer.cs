using System.Collections.Concurrent;

namespace Gateway.Caching;

/// <summary>
/// Single flight per key: while one call for a key is running, later callers wait for its result instead of starting
/// their own. The work runs detached from every caller's cancellation, so one caller leaving never fails the others,
/// and the result is still stored for the next reader. The entry is removed when the work ends, so a result is never
/// reused after the fact: reuse is the cache's job, not this class's.
/// </summary>
internal sealed class RequestCoalescer<T>
{
    private readonly ConcurrentDictionary<string, Task<T>> _flights = new(StringComparer.Ordinal);

    private int _waiting;

    public int InFlight => _flights.Count;

    /// <summary>Whether a call for <paramref name="key"/> is running now, so a caller would wait for it.</summary>
    public bool IsFlying(string key) => _flights.ContainsKey(key);

    /// <summary>Callers currently waiting on a flight, the first caller of each included.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public async Task<(T Value, bool Collapsed)> RunAsync(string key, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _flights.GetOrAdd(key, mine.Task);
        var collapsed = flight != mine.Task;
        if (!collapsed)
        {
            _ = RunFlightAsync(key, mine, work);
        }

        Interlocked.Increment(ref _waiting);
        try
        {
            return (await flight.WaitAsync(cancellationToken), collapsed);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private async Task RunFlightAsync(string key, TaskCompletionSource<T> completion, Func<Task<T>> work)
    {
        try
        {
            completion.SetResult(await work());
        }
        catch (Exception exception)
        {
            completion.SetException(exception);
        }
        finally
        {
            _flights.TryRemove(new KeyValuePair<string, Task<T>>(key, completion.Task));
        }
    }
}
