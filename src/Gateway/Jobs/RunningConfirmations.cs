using Gateway.Redis;
using StackExchange.Redis;

namespace Gateway.Jobs;

/// <summary>
/// Confirms, for the direct path, that a running answer this process holds may still be given: no replica has
/// learnt the job is terminal. Whatever replica learns it writes the terminal entry or the terminal mark to Redis
/// before anyone is answered Completed, so one look at both, begun after the request arrived, sees any completion
/// answered before it. Concurrent reads of one job share a look: a read joins the look that starts after the one in
/// flight (never the one in flight, which may have begun before the read arrived), so a job polled by a thousand
/// connections costs Redis about two commands per round trip, not two per read. The design note (README.md in this
/// folder) has the argument.
/// </summary>
internal sealed class RunningConfirmations(SharedRedis redis, RedisKeys keys, RunningAnswers running)
{
    private static readonly Task<bool> Yes = Task.FromResult(true);

    private readonly Dictionary<string, Round> _rounds = new(StringComparer.Ordinal);

    /// <summary>
    /// True when the job may still be answered as running; false when it is known terminal, when Redis has no running
    /// answer for it (deleted, expired, evicted), or when the look failed: the request pipeline then answers as always.
    /// Without Redis, or while it is away, this process's own knowledge stands, as it does in the pipeline.
    /// </summary>
    public Task<bool> ConfirmAsync(string jobId)
    {
        if (!redis.IsReachable)
        {
            return Yes;
        }

        Round round;
        lock (_rounds)
        {
            if (_rounds.TryGetValue(jobId, out var flying))
            {
                return (flying.Next ??= NewLook()).Task;
            }

            round = new Round(NewLook());
            _rounds[jobId] = round;
        }

        _ = RunAsync(jobId, round);
        return round.Current.Task;
    }

    // Looks until no read is waiting for a look of its own. The next look is sent before the reads of the one that
    // ended are released: they run on this thread (see NewLook), and the next look need not wait for them.
    private async Task RunAsync(string jobId, Round round)
    {
        var look = SafeLookAsync(jobId);
        while (true)
        {
            var answer = await look;
            TaskCompletionSource<bool> done;
            bool last;
            lock (_rounds)
            {
                done = round.Current;
                last = round.Next is null;
                if (last)
                {
                    _rounds.Remove(jobId);
                }
                else
                {
                    round.Current = round.Next!;
                    round.Next = null;
                }
            }

            if (!last)
            {
                look = SafeLookAsync(jobId);
            }

            done.SetResult(answer);
            if (last)
            {
                return;
            }
        }
    }

    private async Task<bool> SafeLookAsync(string jobId)
    {
        try
        {
            return await LookAsync(jobId);
        }
        catch (Exception)
        {
            // Whatever went wrong, the reads waiting on this look must not be stranded: the pipeline answers them.
            return false;
        }
    }

    private async Task<bool> LookAsync(string jobId)
    {
        // Two keys, two commands, sent together: on a Redis Cluster they may live on different nodes.
        var (mark, stored) = await redis.TryAsync(
            async database =>
            {
                var markRead = database.StringGetRangeAsync(keys.Running(jobId), 0, 0);
                var storedRead = database.KeyExistsAsync(keys.StoredJob(jobId));
                return ((byte[]?)await markRead, await storedRead);
            },
            (null, true));
        if (mark is [RunningAnswer.TerminalMark])
        {
            running.MarkTerminalLocally(jobId);
            return false;
        }

        return !stored && mark is [var first] && RunningAnswer.IsAnswer(first);
    }

    // Continuations run where the look ended, one read after another, without a thread-pool hop each: a direct answer
    // goes on to a socket send that seldom waits. With a hop per read, 64 connections polling one job reached 0.68x the
    // terminal hits' rate (bench/shared.sh); inline, ~0.8-0.9x.
    private static TaskCompletionSource<bool> NewLook() => new(TaskCreationOptions.None);

    private sealed class Round(TaskCompletionSource<bool> current)
    {
        public TaskCompletionSource<bool> Current { get; set; } = current;

        public TaskCompletionSource<bool>? Next { get; set; }
    }
}
