using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// What a replica does so that records it wrote to Redis survive Redis losing them, shared by the ledgers that must
/// not lose a write (ownership, credits). Each replica keeps its records in memory and, on every round:
/// <list type="bullet">
/// <item>renews its own mark in Redis; a mark gone means Redis lost its data (a restart without persistence, a
/// failover to an empty replica), and every record held here is written back before the mark is set again;</item>
/// <item>otherwise writes again what Redis never confirmed (sent while it was away) and everything written within the
/// rewrite window, which a failover may have dropped after confirming it.</item>
/// </list>
/// The writes must be idempotent (a plain SET of the same value, a script that adds only once): a record may be sent
/// many times. The ledger says what a record is and how it is written; this says when.
/// </summary>
internal sealed class LossRepair(SharedRedis redis)
{
    private readonly ConcurrentDictionary<string, byte> _unsent = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Id, DateTimeOffset At)> _recent = new();
    private bool _marked;

    /// <summary>This process's name for its mark; a restarted replica starts a new one, and writes back what it holds.</summary>
    public string Replica { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Notes a record written at <paramref name="at"/>: rewritten within the window, and until Redis confirms it.</summary>
    public void Written(string id, DateTimeOffset at, bool confirmed)
    {
        _recent.Enqueue((id, at));
        if (!confirmed)
        {
            _unsent[id] = 0;
        }
    }

    /// <summary>The records written that Redis has not confirmed yet.</summary>
    public IEnumerable<string> Unconfirmed => _unsent.Keys;

    /// <summary>The record is no longer held (past retention, or pushed out): nothing to send for it.</summary>
    public void Forget(string id) => _unsent.TryRemove(id, out _);

    /// <summary>One round of repair.</summary>
    /// <param name="mark">This replica's mark in Redis, named from <see cref="Replica"/>.</param>
    /// <param name="markLifetime">How long the mark lives unrenewed: as long as the records it vouches for.</param>
    /// <param name="held">Every record id held here, for a write-back.</param>
    /// <param name="send">Writes the records named; false when Redis did not answer (they stay due).</param>
    /// <returns>How many records were written back after Redis lost them; 0 on any other round.</returns>
    public async Task<int> RunAsync(
        RedisKey mark, TimeSpan markLifetime, DateTimeOffset now, TimeSpan rewriteWindow, Func<string[]> held, Func<string[], Task<bool>> send)
    {
        if (!redis.IsReachable)
        {
            return 0;
        }

        if (!await redis.TryAsync(database => database.KeyExpireAsync(mark, markLifetime), true))
        {
            var all = held();
            if (!await send(all) || !await redis.TryAsync(database => database.StringSetAsync(mark, "1", markLifetime)))
            {
                return 0;
            }

            _unsent.Clear();

            // The first mark of a process is no loss: nothing was marked before it.
            var restored = _marked ? all.Length : 0;
            _marked = true;
            return restored;
        }

        _marked = true;
        var window = now - rewriteWindow;
        while (_recent.TryPeek(out var oldest) && oldest.At < window)
        {
            _recent.TryDequeue(out _);
        }

        var unsent = _unsent.Keys.ToArray();
        if (await send([.. unsent.Concat(_recent.Select(static recent => recent.Id)).Distinct(StringComparer.Ordinal)]))
        {
            foreach (var id in unsent)
            {
                _unsent.TryRemove(id, out _);
            }
        }

        return 0;
    }
}
