using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Cluster;
using Gateway.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Jobs;

/// <summary>
/// Confirms, for the direct path, that a running answer this process holds may still be given: no replica has
/// learnt the job is terminal. Whatever replica learns it writes the terminal mark to Redis, revokes the leases
/// registered for the job, and only then stores the entry and answers Completed; so one look at the mark and the
/// entry, begun after the request arrived, sees any completion answered before it, and a look that found neither
/// grants a lease (<see cref="JobOptions.RunningAnswerLease"/>) under which later reads need no look of their own.
/// Concurrent reads of one job share a look: a read joins the look that starts after the one in flight (never the one
/// in flight, which may have begun before the read arrived), so a job polled by a thousand connections costs Redis
/// a few commands per round trip at most, and one look per lease. The design note (README.md in this folder) has the
/// argument.
/// </summary>
internal sealed class RunningConfirmations(
    SharedRedis redis, RedisKeys keys, RunningAnswers running, JobNotices notices, IOptions<JobOptions> jobs, TimeProvider time,
    ILogger<RunningConfirmations> logger)
{
    private static readonly Task<bool> Yes = Task.FromResult(true);

    // A holder's registration outlives its lease by this much, so the revoker always finds it while the lease runs.
    private static readonly TimeSpan RegistrationSlack = TimeSpan.FromSeconds(1);

    // Waited on top of a silent holder's lease: the two processes' clocks may tick at slightly different rates.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(10);

    private const string RegisterScript = """
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    private readonly Dictionary<string, Round> _rounds = new(StringComparer.Ordinal);

    // Per job: the timestamp (this process's clock) until which its running answer may be given with no look.
    private readonly ConcurrentDictionary<string, long> _leases = new(StringComparer.Ordinal);
    private int _sweepAt = 1024;

    /// <summary>
    /// True when the job may still be answered as running; false when it is known terminal, when Redis has no running
    /// answer for it (deleted, expired, evicted), or when the look failed: the request pipeline then answers as always.
    /// Without Redis, or while it is away, this process's own knowledge stands, as it does in the pipeline.
    /// </summary>
    public Task<bool> ConfirmAsync(string jobId)
    {
        if (!redis.IsReachable || Leased(jobId))
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

    /// <summary>
    /// The job is terminal: marks it so here and in Redis, then revokes every lease registered for it and returns once
    /// each holder has said it marked the job terminal too, or its lease has lapsed. Called before the terminal answer
    /// is stored or given to anyone, so no replica answers running after any replica answered Completed.
    /// </summary>
    public async Task EndAsync(string jobId)
    {
        _leases.TryRemove(jobId, out _);
        await running.EndAsync(jobId);
        if (!running.Enabled)
        {
            return;
        }

        // After the mark, never before: a holder registers before it looks at the mark, so either its look sees the
        // mark or this read sees its registration. Redis away: nothing to read, and no holder's look can succeed.
        var members = await redis.TryAsync(database => database.SetMembersAsync(keys.RunningHolders(jobId)), []);
        var holders = new Dictionary<Guid, TimeSpan>();
        foreach (var member in members)
        {
            // This process among them too: RevokeAsync waits on the others only.
            if (Holder.TryParse(member.ToString()) is { } holder)
            {
                holders[holder.Origin] = holders.TryGetValue(holder.Origin, out var seen) && seen > holder.Lease ? seen : holder.Lease;
            }
        }

        if (holders.Count > 0 && !await notices.RevokeAsync(jobId, holders.Keys, holders.Values.Max() + ClockSlack))
        {
            logger.LeaseLapsed(jobId, holders.Count);
        }
    }

    private bool Leased(string jobId) =>
        _leases.TryGetValue(jobId, out var until) && time.GetTimestamp() < until && !running.KnownTerminal(jobId);

    // Looks until no read is waiting for a look of its own. The next look is sent before the reads of the one that
    // ended are released: they run on this thread (see NewLook), and the next look need not wait for them. A look that
    // granted a lease answers the reads waiting for the next one too: they are checked within the lease.
    private async Task RunAsync(string jobId, Round round)
    {
        var look = SafeLookAsync(jobId);
        while (true)
        {
            var answer = await look;
            TaskCompletionSource<bool> done;
            TaskCompletionSource<bool>? next = null;
            bool last;
            lock (_rounds)
            {
                done = round.Current;
                if (answer && Leased(jobId))
                {
                    next = round.Next;
                    round.Next = null;
                }

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
            next?.SetResult(true);
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
        var lease = running.Enabled ? jobs.Value.RunningAnswerLease : TimeSpan.Zero;
        var started = time.GetTimestamp();
        if (lease > TimeSpan.Zero)
        {
            // Registered before the mark is read, in a round trip of its own (on a Redis Cluster the keys may live on
            // different nodes, which do not keep one connection's order): see EndAsync.
            var member = new Holder(notices.Origin, lease).ToString();
            var life = (long)(lease + RegistrationSlack).TotalMilliseconds;
            if (!await redis.TryAsync(database => (Task)database.ScriptEvaluateAsync(RegisterScript, [keys.RunningHolders(jobId)], [member, life])))
            {
                return false;
            }
        }

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

        var confirmed = !stored && mark is [var first] && RunningAnswer.IsAnswer(first);
        if (confirmed && lease > TimeSpan.Zero)
        {
            // From before the registration was sent: a revoker that hears nothing waits the lease from after it read it.
            Grant(jobId, started + (long)(lease.TotalSeconds * time.TimestampFrequency));
        }

        return confirmed;
    }

    private void Grant(string jobId, long until)
    {
        _leases[jobId] = until;
        if (_leases.Count < Volatile.Read(ref _sweepAt))
        {
            return;
        }

        // Jobs polled once and never again would otherwise stay for the process's life.
        var now = time.GetTimestamp();
        foreach (var (job, expiry) in _leases)
        {
            if (expiry <= now)
            {
                _leases.TryRemove(new KeyValuePair<string, long>(job, expiry));
            }
        }

        Volatile.Write(ref _sweepAt, Math.Max(1024, 2 * _leases.Count));
    }

    // Continuations run where the look ended, one read after another, without a thread-pool hop each: a direct answer
    // goes on to a socket send that seldom waits. With a hop per read, 64 connections polling one job reached 0.68x the
    // terminal hits' rate (bench/shared.sh); inline, ~0.8-0.9x.
    private static TaskCompletionSource<bool> NewLook() => new(TaskCreationOptions.None);

    // How a holder is registered: its process and its lease, so a revoker configured otherwise waits the holder's.
    private readonly record struct Holder(Guid Origin, TimeSpan Lease)
    {
        public override string ToString() =>
            Origin.ToString("N") + "/" + ((long)Lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

        public static Holder? TryParse(string member) =>
            member.Split('/') is [var origin, var milliseconds] && Guid.TryParseExact(origin, "N", out var id) &&
            long.TryParse(milliseconds, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= (long)TimeSpan.FromMinutes(1).TotalMilliseconds
                ? new Holder(id, TimeSpan.FromMilliseconds(ms))
                : null;
    }

    private sealed class Round(TaskCompletionSource<bool> current)
    {
        public TaskCompletionSource<bool> Current { get; set; } = current;

        public TaskCompletionSource<bool>? Next { get; set; }
    }
}
