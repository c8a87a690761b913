using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A fake clock that can be made to move on while a timer is being set, between the moment the code setting it read the
/// time and the moment the timer reads it to count its due time from: the race a test thread advancing a clock runs
/// against a request arriving on another, and a busy machine's against a timer set a moment late.
/// </summary>
public sealed class ClockMovingAsTimersAreSet(FakeTimeProvider clock) : TimeProvider
{
    private readonly FakeTimeProvider _clock = clock;
    private TimeSpan _move;

    /// <summary>The next timer set moves the clock on by <paramref name="by"/> first (its old schedule not fired).</summary>
    public void MoveWhenNextSet(TimeSpan by) => _move = by;

    public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();

    public override long GetTimestamp() => _clock.GetTimestamp();

    public override long TimestampFrequency => _clock.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new MovingTimer(_clock.CreateTimer(callback, state, dueTime, period), this);

    private sealed class MovingTimer(ITimer inner, ClockMovingAsTimersAreSet owner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (owner._move > TimeSpan.Zero)
            {
                var by = owner._move;
                owner._move = TimeSpan.Zero;
                inner.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                owner._clock.Advance(by);
            }

            return inner.Change(dueTime, period);
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
