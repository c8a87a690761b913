using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A fake clock whose timers all fire <see cref="Lateness"/> after they were due, as a timer's callback does when it
/// waits its turn on a busy thread pool. <see cref="FakeTimeProvider"/> itself runs each callback at its exact due time.
/// </summary>
public sealed class LateTimers(FakeTimeProvider clock, TimeSpan lateness) : TimeProvider
{
    public TimeSpan Lateness { get; } = lateness;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new LateTimer(clock.CreateTimer(callback, state, Late(dueTime), period), this);

    private TimeSpan Late(TimeSpan due) => due == Timeout.InfiniteTimeSpan ? due : due + Lateness;

    private sealed class LateTimer(ITimer inner, LateTimers owner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(owner.Late(dueTime), period);

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
