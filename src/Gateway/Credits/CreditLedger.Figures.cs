using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Credits;

/// <summary>One team's and key's figures today, this month (UTC) and over the last 60 minutes.</summary>
internal sealed record CreditPeriods(string Team, string KeyId, CreditTally Today, CreditTally ThisMonth, CreditTally LastHour);

/// <summary>One row of the month's export: a team's and key's figures on one UTC day.</summary>
internal sealed record CreditDay(string Team, string KeyId, DateOnly Day, CreditTally Figures);

internal sealed partial class CreditLedger
{
    /// <summary>
    /// Every team's figures per key id (only <paramref name="team"/>'s when given): the deployment's from Redis (one
    /// HGETALL for the day, one for the month, sixty for the minutes, in one round trip), this replica's book without it.
    /// </summary>
    public async Task<IReadOnlyList<CreditPeriods>> ReadAsync(string? team = null)
    {
        var now = time.GetUtcNow();
        var minute = Minute(now);
        var result = new Dictionary<(string, string), CreditPeriods>();
        CreditPeriods For(string owner, string keyId) =>
            result.TryGetValue((owner, keyId), out var found) ? found : result[(owner, keyId)] = new(owner, keyId, new(), new(), new());

        var hashes = await redis.TryAsync<HashEntry[][]?>(async database =>
        {
            var reads = new List<Task<HashEntry[]>> { database.HashGetAllAsync(keys.CreditsDay(Day(now))), database.HashGetAllAsync(keys.CreditsMonth(Month(now))) };
            reads.AddRange(Enumerable.Range(0, 60).Select(m => database.HashGetAllAsync(keys.CreditsMinute(minute - m))));
            return await Task.WhenAll(reads);
        }, null);
        if (hashes is not null)
        {
            for (var i = 0; i < hashes.Length; i++)
            {
                foreach (var (owner, keyId, metric, value) in Fields(hashes[i], team))
                {
                    var periods = For(owner, keyId);
                    (i == 0 ? periods.Today : i == 1 ? periods.ThisMonth : periods.LastHour).Add(metric, value);
                }
            }
        }
        else
        {
            var (today, month) = (Day(now), Month(now));
            foreach (var booking in _held.Values.Where(b => Counted(b, team)))
            {
                var periods = For(booking.Team, booking.KeyId);
                if (Month(booking.At) == month)
                {
                    periods.ThisMonth.Add(booking);
                }

                if (Day(booking.At) == today)
                {
                    periods.Today.Add(booking);
                }

                if (Minute(booking.At) > minute - 60)
                {
                    periods.LastHour.Add(booking);
                }
            }
        }

        return [.. result.Values.OrderBy(static p => p.Team, StringComparer.Ordinal).ThenBy(static p => p.KeyId, StringComparer.Ordinal)];
    }

    /// <summary>Every team's and key's figures for each day of <paramref name="month"/> that has any, from Redis or this replica's book.</summary>
    public async Task<IReadOnlyList<CreditDay>> ReadMonthAsync(DateOnly month)
    {
        var days = Enumerable.Range(0, DateTime.DaysInMonth(month.Year, month.Month)).Select(month.AddDays).ToArray();
        var result = new Dictionary<(string, string, DateOnly), CreditDay>();
        CreditTally For(string owner, string keyId, DateOnly day) =>
            (result.TryGetValue((owner, keyId, day), out var found) ? found : result[(owner, keyId, day)] = new(owner, keyId, day, new())).Figures;

        var hashes = await redis.TryAsync<HashEntry[][]?>(async database =>
            await Task.WhenAll(days.Select(day => database.HashGetAllAsync(keys.CreditsDay(day.ToString("yyyyMMdd", CultureInfo.InvariantCulture))))), null);
        if (hashes is not null)
        {
            for (var i = 0; i < days.Length; i++)
            {
                foreach (var (owner, keyId, metric, value) in Fields(hashes[i], null))
                {
                    For(owner, keyId, days[i]).Add(metric, value);
                }
            }
        }
        else
        {
            foreach (var booking in _held.Values.Where(b => Counted(b, null) && Month(b.At) == month.ToString("yyyyMM", CultureInfo.InvariantCulture)))
            {
                For(booking.Team, booking.KeyId, DateOnly.FromDateTime(booking.At.UtcDateTime)).Add(booking);
            }
        }

        return [.. result.Values.OrderBy(static d => d.Team, StringComparer.Ordinal).ThenBy(static d => d.KeyId, StringComparer.Ordinal).ThenBy(static d => d.Day)];
    }

    /// <summary>
    /// The deployment's credits (thousandths) per team this month, as Redis has them: spent, and saved by reuse; null
    /// while it is away.
    /// </summary>
    public Task<(Dictionary<string, long> Spent, Dictionary<string, long> Saved)?> ReadMonthTotalsAsync(string month) =>
        redis.TryAsync<(Dictionary<string, long>, Dictionary<string, long>)?>(async database =>
        {
            var spent = new Dictionary<string, long>(StringComparer.Ordinal);
            var saved = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (owner, _, metric, value) in Fields(await database.HashGetAllAsync(keys.CreditsMonth(month)), null))
            {
                var into = metric == "millicredits" ? spent : metric == CreditTally.SavedPrefix + "millicredits" ? saved : null;
                if (into is not null)
                {
                    into[owner] = into.GetValueOrDefault(owner) + value;
                }
            }

            return (spent, saved);
        }, null);

    /// <summary>What this replica booked itself for <paramref name="team"/> in <paramref name="month"/> (thousandths of a credit).</summary>
    public long OwnMonth(string team, string month) => _ownMonth.GetValueOrDefault((team, month));

    /// <summary>What this replica booked itself in <paramref name="month"/>, per team (thousandths of a credit).</summary>
    public Dictionary<string, long> OwnMonthTotals(string month) =>
        _ownMonth.Where(o => o.Key.Month == month).ToDictionary(static o => o.Key.Team, static o => o.Value, StringComparer.Ordinal);

    /// <summary>What reuse saved, as this replica booked it itself in <paramref name="month"/>, per team (thousandths of a credit).</summary>
    public Dictionary<string, long> OwnSavedMonthTotals(string month) =>
        _ownSaved.Where(o => o.Key.Month == month).ToDictionary(static o => o.Key.Team, static o => o.Value, StringComparer.Ordinal);

    /// <summary>What this replica holds in <paramref name="month"/> that Redis has not answered yet, per team.</summary>
    public Dictionary<string, long> UnsentMonthTotals(string month) =>
        _repair.Unconfirmed.Select(id => _held.GetValueOrDefault(id)).OfType<Booking>().Where(b => !b.Saved && Month(b.At) == month)
            .GroupBy(static b => b.Team, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.Sum(static b => b.Millicredits), StringComparer.Ordinal);

    /// <summary>What this replica holds for <paramref name="team"/> in <paramref name="month"/> that Redis has not answered yet.</summary>
    public long UnsentMonth(string team, string month) =>
        _repair.Unconfirmed.Select(id => _held.GetValueOrDefault(id)).OfType<Booking>().Where(b => !b.Saved && b.Team == team && Month(b.At) == month).Sum(static b => b.Millicredits);

    // Without Redis every held booking is this replica's own (there is no one else to have booked it).
    private static bool Counted(Booking booking, string? team) => team is null || booking.Team == team;

    private static IEnumerable<(string Team, string KeyId, string Metric, long Value)> Fields(HashEntry[] hash, string? team)
    {
        foreach (var entry in hash)
        {
            var parts = entry.Name.ToString().Split('|');
            if (parts.Length == 3 && (team is null || parts[0] == team) && entry.Value.TryParse(out long value))
            {
                yield return (parts[0], parts[1], parts[2], value);
            }
        }
    }
}
