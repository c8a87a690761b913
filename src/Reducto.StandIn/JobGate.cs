namespace Reducto.StandIn;

/// <summary>Holds requests for one job until released, so a test controls exactly when the upstream answers.</summary>
public sealed class JobGate
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    public void Release() => _released.TrySetResult();

    public async Task WhenWaiting(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Waiting < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Waiting} of {count} requests reached the gate in {timeout}.");
            }

            await Task.Delay(5);
        }
    }

    internal async Task PassAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _released.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
