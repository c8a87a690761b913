using System.Diagnostics.CodeAnalysis;

namespace Gateway.Upstream;

/// <summary>
/// Items queued per team and taken one per team per round, the teams in the order they joined the round; within a team,
/// the lowest priority first. A team with thousands of items queued lengthens only its own queue, and a team with one
/// waits at most a round. The budget's callers and refreshes (<see cref="FairShareLimiter"/>) and the refreshes waiting
/// to start (<c>RefreshQueue</c>) take turns this way. Not thread-safe: its owner holds a lock around every call.
/// </summary>
internal sealed class TeamTurns<T, TPriority>
{
    private readonly Dictionary<string, PriorityQueue<T, TPriority>> _queues = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();

    /// <summary>Items queued, every team's.</summary>
    public int Count { get; private set; }

    public void Enqueue(string team, T item, TPriority priority)
    {
        if (!_queues.TryGetValue(team, out var queue))
        {
            _queues[team] = queue = new PriorityQueue<T, TPriority>();
            _turns.AddLast(team);
        }

        queue.Enqueue(item, priority);
        Count++;
    }

    /// <summary>Takes the first item of the team whose turn it is; that team goes to the back of the round.</summary>
    public bool TryDequeue([MaybeNullWhen(false)] out T item, [MaybeNullWhen(false)] out TPriority priority, [MaybeNullWhen(false)] out string team)
    {
        if (_turns.First is not { } turn)
        {
            (item, priority, team) = (default, default, null);
            return false;
        }

        team = turn.Value;
        var queue = _queues[team];
        queue.TryDequeue(out var first, out var rank);
        (item, priority) = (first!, rank!);
        Count--;
        _turns.RemoveFirst();
        if (queue.Count > 0)
        {
            _turns.AddLast(turn);
        }
        else
        {
            _queues.Remove(team);
        }

        return true;
    }
}
