using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Ownership;
using Gateway.Redis;
using Gateway.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Credits;

/// <summary>
/// Books every job's credits and pages once, to the team and key that created it, the first time any replica learns
/// the job is over. One script per booking sets the job's <c>booked</c> marker only if absent and, only then, adds to
/// the day's, month's and minute's figures: the deployment books a job once however many replicas read it, and a
/// booking sent twice (a retry, a failover's repair, a rebuild) adds nothing. Each replica keeps what it booked, to
/// book it again into a Redis that lost it. The design note (README.md in this folder) says what each failure costs.
/// </summary>
internal sealed partial class CreditLedger(
    SharedRedis redis, RedisKeys keys, IOptions<CreditOptions> options, GatewayMetrics metrics, TimeProvider time, ILogger<CreditLedger> logger)
{
    /// <summary>The team jobs nobody created through the gateway are booked to; no team name can take this form.</summary>
    public const string Unowned = "(unowned)";

    /// <summary>How long the day and month figures are kept: over a year, so eviction of cache entries comes first.</summary>
    public static readonly TimeSpan FiguresRetention = TimeSpan.FromDays(400);

    private static readonly TimeSpan MinutesRetention = TimeSpan.FromHours(2);

    private const string BookScript = """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
            return 0
        end
        for i = 2, 4 do
            redis.call('HINCRBY', KEYS[i], ARGV[2] .. 'jobs', 1)
            redis.call('HINCRBY', KEYS[i], ARGV[2] .. 'pages', ARGV[3])
            redis.call('HINCRBY', KEYS[i], ARGV[2] .. 'millicredits', ARGV[4])
        end
        redis.call('EXPIRE', KEYS[2], ARGV[5])
        redis.call('EXPIRE', KEYS[3], ARGV[5])
        redis.call('EXPIRE', KEYS[4], ARGV[6])
        return 1
        """;

    // Every job this replica learned was over, booked or seen booked by another: the local book without Redis, and
    // what it sends again when Redis lost its data. Forgotten before Redis forgets the job's marker.
    private readonly ConcurrentDictionary<string, Booking> _held = new(StringComparer.Ordinal);

    // What Redis has not answered, and what was booked lately, sent again on each flush.
    private readonly LossRepair _repair = new(redis);

    // Credits (thousandths) this replica booked itself, by team and month: a budget's figure without Redis.
    private readonly ConcurrentDictionary<(string Team, string Month), long> _ownMonth = new();
    private readonly ConcurrentDictionary<(string Team, string Month), long> _ownSaved = new();

    /// <summary>This process's name for its mark in Redis; a restarted replica starts a new one.</summary>
    public string Replica => _repair.Replica;

    /// <summary>Whether a Redis is configured: figures and budgets are then the deployment's, as far as Redis answers.</summary>
    public bool Configured => redis.IsConfigured;

    /// <summary>Whether figures are the deployment's (Redis answering) or this replica's.</summary>
    public bool Shared => redis.IsReachable;

    /// <summary>Told of each booking the first time it adds to the figures this replica sees: the budgets follow it.</summary>
    public event Action<Booking>? Booked;

    private CreditOptions Options => options.Value;

    /// <summary>
    /// What the job <paramref name="body"/> describes cost, if it is over: Completed jobs by their usage (pages times
    /// <see cref="CreditOptions.PerPageWhenUnpriced"/> when Reducto sent no credits), Failed ones only by the usage
    /// they carry, which Reducto's do not. Null for a job still running, or Failed without usage.
    /// </summary>
    public (JobUsage Usage, long Pages, long Millicredits)? Cost(ReadOnlySpan<byte> body)
    {
        var usage = JobUsage.Read(body);
        if (!usage.Completed && !(usage.Failed && usage.HasUsage))
        {
            return null;
        }

        var pages = usage.Pages ?? 0;
        return (usage, pages, Booking.ToMillicredits(usage.Credits ?? pages * Options.PerPageWhenUnpriced));
    }

    /// <summary>Books the job <paramref name="body"/> describes (<see cref="Cost"/>), if it is over and this replica has not booked it.</summary>
    public async Task BookAsync(string jobId, Owner? owner, ReadOnlyMemory<byte> body)
    {
        if (_held.ContainsKey(jobId) || Cost(body.Span) is not { } cost)
        {
            return;
        }

        await HoldAndSendAsync(new Booking(jobId, owner?.Team ?? Unowned, owner?.KeyId ?? string.Empty, time.GetUtcNow(), cost.Pages, cost.Millicredits));
    }

    /// <summary>
    /// Books what a reused creation did not spend (the earlier job's pages and credits) to the team and key that asked.
    /// Each saving is its own booking, under a name no job has, so the repair loop may send it again without adding it twice.
    /// </summary>
    public Task BookSavedAsync(string team, string keyId, long pages, long millicredits) =>
        HoldAndSendAsync(new Booking("reuse:" + Guid.NewGuid().ToString("N"), team, keyId, time.GetUtcNow(), pages, millicredits, saved: true));

    private async Task HoldAndSendAsync(Booking booking)
    {
        if (!_held.TryAdd(booking.JobId, booking))
        {
            return;
        }

        if (!redis.IsConfigured)
        {
            Answered(booking, booked: true);
            return;
        }

        var result = await redis.TryAsync(database => SendAsync(database, booking), -1L);
        _repair.Written(booking.JobId, booking.At, confirmed: result >= 0);
        if (result >= 0)
        {
            Answered(booking, result == 1);
        }
    }

    /// <summary>
    /// One round of repair, run by <see cref="CreditFlusher"/>: sends every held booking again when this replica's
    /// mark is gone from Redis (it lost its data), else what Redis has not answered and what is recent; forgets what
    /// Redis no longer remembers as booked.
    /// </summary>
    public async Task FlushAsync()
    {
        var now = time.GetUtcNow();
        Forget(now);
        var restored = await _repair.RunAsync(keys.CreditsMark(Replica), Options.BookedRetention, now, Options.RewriteWindow,
            () => [.. _held.Keys], SendAllAsync);
        if (restored > 0)
        {
            logger.BookingsRestored(restored);
        }
    }

    private async Task<bool> SendAllAsync(string[] ids)
    {
        var bookings = ids.Select(id => _held.GetValueOrDefault(id)).OfType<Booking>().ToArray();
        if (bookings.Length == 0)
        {
            return true;
        }

        var results = await redis.TryAsync(async database => await Task.WhenAll(bookings.Select(b => SendAsync(database, b))), null);
        if (results is null)
        {
            return false;
        }

        for (var i = 0; i < results.Length; i++)
        {
            Answered(bookings[i], results[i] == 1);
        }

        return true;
    }

    private async Task<long> SendAsync(IDatabase database, Booking booking)
    {
        RedisKey[] scriptKeys =
        [
            keys.CreditsBooked(booking.JobId), keys.CreditsDay(Day(booking.At)), keys.CreditsMonth(Month(booking.At)),
            keys.CreditsMinute(Minute(booking.At)),
        ];
        RedisValue[] values =
        [
            (long)Options.BookedRetention.TotalSeconds, booking.Team + "|" + booking.KeyId + "|" + (booking.Saved ? CreditTally.SavedPrefix : string.Empty), booking.Pages, booking.Millicredits,
            (long)FiguresRetention.TotalSeconds, (long)MinutesRetention.TotalSeconds,
        ];
        return (long)await database.ScriptEvaluateAsync(BookScript, scriptKeys, values);
    }

    // Counted once per booking, on its first answer: resending to a Redis that lost it is not new spending.
    private void Answered(Booking booking, bool booked)
    {
        if (!booking.FirstSent() || !booked)
        {
            return;
        }

        if (booking.Saved)
        {
            _ownSaved.AddOrUpdate((booking.Team, Month(booking.At)), booking.Millicredits, (_, sum) => sum + booking.Millicredits);
            metrics.CreditsSaved(booking.Team, booking.Millicredits / 1000.0);
            return;
        }

        _ownMonth.AddOrUpdate((booking.Team, Month(booking.At)), booking.Millicredits, (_, sum) => sum + booking.Millicredits);
        metrics.CreditsBooked(booking.Team, booking.Pages, booking.Millicredits / 1000.0);
        Booked?.Invoke(booking);
    }

    // Before Redis forgets a job's marker, so a booking sent again can never be added twice; and past the size limit.
    private void Forget(DateTimeOffset now)
    {
        var horizon = now - Options.BookedRetention + TimeSpan.FromDays(1);
        foreach (var (id, booking) in _held)
        {
            if (booking.At < horizon)
            {
                _held.TryRemove(id, out _);
                _repair.Forget(id);
            }
        }

        var excess = _held.Count - Options.LocalBookings;
        if (excess > 0)
        {
            foreach (var (id, _) in _held.OrderBy(static pair => pair.Value.At).Take(excess).ToArray())
            {
                _held.TryRemove(id, out _);
                _repair.Forget(id);
            }
        }
    }

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string Month(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    private static long Minute(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;
}
