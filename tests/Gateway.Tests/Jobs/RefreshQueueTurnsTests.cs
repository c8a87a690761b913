using Gateway.Cluster;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Jobs;

/// <summary>
/// The refresh queue on its own, without a gateway: it starts the teams' refreshes in turn, each team's oldest answer
/// first (the HTTP side of the rule is in <see cref="RefreshTurnsTests"/>).
/// </summary>
public sealed class RefreshQueueTurnsTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task TheQueueStartsTheTeamsInTurn_EachTeamsOldestAnswerFirst()
    {
        var ring = new ReplicaRing(static () => true);
        using var refreshes = new HeldRefreshes(ring, _clock);
        var t = _clock.GetUtcNow();

        // Team A's six answers are minutes old, team B's two a second or two: oldest first alone, B's would go last.
        var a = Enumerable.Range(0, 6).Select(static i => $"gw:job:pending-a{i}").ToArray();
        for (var i = 0; i < a.Length; i++)
        {
            refreshes.Enqueue(a[i], "team-a", t.AddMinutes(-10).AddSeconds(i));
        }

        refreshes.Enqueue("gw:job:pending-b1", "team-b", t.AddSeconds(-1));
        refreshes.Enqueue("gw:job:pending-b0", "team-b", t.AddSeconds(-2));
        await Eventually.Until(() => refreshes.Started.Count == 2, because: "two refreshes run at once");
        for (var started = 3; started <= 8; started++)
        {
            refreshes.Finish(refreshes.Started[started - 3]);
            await Eventually.Until(() => refreshes.Started.Count == started, because: "a slot freed starts the next");
        }

        // The first two start at once, on threads of their own; after them, one at a time as slots free.
        Assert.Equal([a[0], a[1]], refreshes.Started.Take(2).Order(StringComparer.Ordinal));
        Assert.Equal([a[2], "gw:job:pending-b0", a[3], "gw:job:pending-b1", a[4], a[5]], refreshes.Started.Skip(2));
    }
}
