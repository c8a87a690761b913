using System.Globalization;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Credits;

/// <summary>
/// The reconciliation the credits issue asked for: mixed traffic through three replicas on a fake clock, then every
/// credits report (<c>/admin/usage</c>, each team's <c>/usage</c>, the month's CSV) against the stand-in's own bill of
/// what it served, priced by the README's rules and dated by when the gateway learned each job was over. Equal, to
/// the thousandth of a credit: nothing booked twice, nothing missed, nothing booked to the wrong team, key or day.
/// </summary>
public sealed class ReconciliationTests
{
    [Fact(Timeout = 120_000)]
    public async Task ADayOfMixedTrafficThroughThreeReplicas_IsReportedExactlyAsTheStandInBilledIt_ThroughARedisRestart()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        var start = Today().AddDays(2).AddHours(1);
        await using var traffic = await ReconciliationTraffic.StartAsync(redis, start, seed: 26);
        traffic.Plan(start, start.AddDays(1), jobs: 48);

        // Midday Redis comes back empty: the replicas must put back what it had before anything else is booked.
        traffic.PlanRedisRestart(start.AddHours(12), async () => Same(await AdminAsync(traffic), ExpectedAdmin(traffic)));
        await traffic.RunAsync();

        await AssertReportsAsync(traffic);
        string[] kinds = ["upload", "synchronous", "plain read", "Prefer: wait", "webhook", "SDK retry", "Idempotency-Key replay", "read after the end", "unpriced"];
        Assert.All(kinds, kind => Assert.True(traffic.Mix.GetValueOrDefault(kind) >= 2, $"the seed drew {traffic.Mix.GetValueOrDefault(kind)} of {kind}"));
        Assert.Contains(traffic.Upstream.Served.Jobs, static j => j.Status == "Failed");
        var days = Billed(traffic).Keys.Select(static k => k.Day).Distinct().Order().ToArray();
        Assert.Equal([DateOnly.FromDateTime(start.UtcDateTime), DateOnly.FromDateTime(start.UtcDateTime).AddDays(1)], days);
    }

    [Fact(Timeout = 120_000)]
    public async Task AMonthsLastHours_AreBookedToTheMonthTheGatewayLearnedEachJobWasOver()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        var start = Today().AddDays(1 - Today().Day).AddMonths(2).AddHours(-3);
        await using var traffic = await ReconciliationTraffic.StartAsync(redis, start, seed: 2603);
        traffic.Plan(start, start.AddHours(6), jobs: 10);
        await traffic.RunAsync();

        await AssertReportsAsync(traffic);
        Assert.Equal([start.Month, start.AddDays(1).Month], Billed(traffic).Keys.Select(static k => k.Day.Month).Distinct().Order());
    }

    // The gateways' clock runs ahead of the machine's, never behind: Redis's store refuses entries whose absolute
    // expiry (set by the gateways' clock) has passed by its own.
    private static DateTimeOffset Today() => new(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero);

    /// <summary>What the stand-in served each job the traffic created, priced and dated: team, key id and UTC day.</summary>
    private static Dictionary<(string Team, string KeyId, DateOnly Day), Bill> Billed(ReconciliationTraffic traffic)
    {
        var billed = new Dictionary<(string Team, string KeyId, DateOnly Day), Bill>();
        foreach (var job in traffic.Upstream.Served.Jobs)
        {
            Assert.True(traffic.Owners.TryGetValue(job.JobId, out var owner), $"the stand-in served job {job.JobId}, which no caller created");
            Assert.True(traffic.Learned.TryGetValue(job.JobId, out var learned), $"the stand-in served job {job.JobId} finished before any caller asked");

            // The README's rules: a Completed job by its usage (unpriced: pages times Credits:PerPageWhenUnpriced), a
            // Failed one only by a usage it carries.
            if (job.Status != "Completed" && job.Cost is null)
            {
                continue;
            }

            var cost = job.Cost ?? new JobCost(0, null);
            var key = (owner.Team, owner.KeyId, DateOnly.FromDateTime(learned.UtcDateTime));
            billed[key] = billed.GetValueOrDefault(key) + new Bill(1, cost.Pages, cost.Credits ?? cost.Pages * ReconciliationTraffic.PerPageWhenUnpriced);
        }

        return billed;
    }

    private static async Task AssertReportsAsync(ReconciliationTraffic traffic)
    {
        // The stand-in made exactly the jobs the callers were told of (replays made none), and served each one finished.
        var created = traffic.Upstream.Creations.All.Where(static c => c.Route != "/upload").Select(static c => c.Id).Order(StringComparer.Ordinal);
        Assert.Equal(traffic.Owners.Keys.Order(StringComparer.Ordinal), created);
        Assert.Equal(traffic.Owners.Keys.Order(StringComparer.Ordinal), traffic.Upstream.Served.Jobs.Select(static j => j.JobId).Order(StringComparer.Ordinal));

        var billed = Billed(traffic);
        var exported = new Dictionary<(string Team, string KeyId, DateOnly Day), Bill>();
        foreach (var month in billed.Keys.Select(static k => k.Day.ToString("yyyy-MM", CultureInfo.InvariantCulture)).Distinct())
        {
            foreach (var (key, bill) in await ExportAsync(traffic, month))
            {
                exported.Add(key, bill);
            }
        }

        Assert.Equal(Lines(billed), Lines(exported));
        Assert.Equal(ExpectedAdmin(traffic), await AdminAsync(traffic));
        foreach (var (team, keyIds) in ReconciliationTraffic.Teams)
        {
            var expected = ExpectedAdmin(traffic).Where(e => e.Key.Team == team).ToDictionary();
            using var usage = await traffic.GetJsonAsync("/usage", ReconciliationTraffic.KeyOf(team, keyIds[^1]));
            var credits = usage.RootElement.GetProperty("credits");
            Assert.Equal(expected, Keys(team, credits));
            Assert.Equal(Sum(expected.Values.Select(static v => v.ThisMonth)), Bill.From(credits.GetProperty("thisMonth")));
            Assert.Equal(Sum(expected.Values.Select(static v => v.Today)), Bill.From(credits.GetProperty("today")));
        }
    }

    /// <summary>Per team and key id: today and this month (UTC, by the gateways' clock), from the stand-in's bill.</summary>
    private static Dictionary<(string Team, string KeyId), (Bill Today, Bill ThisMonth)> ExpectedAdmin(ReconciliationTraffic traffic)
    {
        var today = DateOnly.FromDateTime(traffic.Clock.GetUtcNow().UtcDateTime);
        return Billed(traffic).Where(b => b.Key.Day.Year == today.Year && b.Key.Day.Month == today.Month)
            .GroupBy(static b => (b.Key.Team, b.Key.KeyId))
            .ToDictionary(static g => g.Key, g => (Sum(g.Where(b => b.Key.Day == today).Select(static b => b.Value)), Sum(g.Select(static b => b.Value))));
    }

    /// <summary><c>/admin/usage</c> per team and key id, after checking each team's totals are its keys' sums.</summary>
    private static async Task<Dictionary<(string Team, string KeyId), (Bill Today, Bill ThisMonth)>> AdminAsync(ReconciliationTraffic traffic)
    {
        using var overview = await traffic.GetJsonAsync("/admin/usage", GatewayFactory.AdminKey);
        var all = new Dictionary<(string Team, string KeyId), (Bill Today, Bill ThisMonth)>();
        foreach (var team in overview.RootElement.GetProperty("teams").EnumerateArray())
        {
            var credits = team.GetProperty("credits");
            var keys = Keys(team.GetProperty("team").GetString()!, credits);
            Assert.Equal(Sum(keys.Values.Select(static k => k.ThisMonth)), Bill.From(credits.GetProperty("thisMonth")));
            Assert.Equal(Sum(keys.Values.Select(static k => k.Today)), Bill.From(credits.GetProperty("today")));
            foreach (var (key, figures) in keys)
            {
                all.Add(key, figures);
            }
        }

        return all;
    }

    private static Dictionary<(string Team, string KeyId), (Bill Today, Bill ThisMonth)> Keys(string team, JsonElement credits) =>
        credits.GetProperty("keys").EnumerateArray().ToDictionary(
            k => (team, k.GetProperty("keyId").GetString()!), static k => (Bill.From(k.GetProperty("today")), Bill.From(k.GetProperty("thisMonth"))));

    private static async Task<Dictionary<(string Team, string KeyId, DateOnly Day), Bill>> ExportAsync(ReconciliationTraffic traffic, string month)
    {
        var csv = await traffic.GetTextAsync("/admin/usage/export?month=" + month, GatewayFactory.AdminKey);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("team,key_id,day,jobs,pages,credits,credits_saved", lines[0]);
        return lines.Skip(1).Select(static line => line.Split(',')).ToDictionary(
            static r => (r[0], r[1], DateOnly.ParseExact(r[2], "yyyy-MM-dd", CultureInfo.InvariantCulture)),
            static r => new Bill(long.Parse(r[3], CultureInfo.InvariantCulture), long.Parse(r[4], CultureInfo.InvariantCulture), decimal.Parse(r[5], CultureInfo.InvariantCulture)));
    }

    private static IEnumerable<string> Lines(Dictionary<(string Team, string KeyId, DateOnly Day), Bill> rows) =>
        rows.Select(static r => $"{r.Key.Team},{r.Key.KeyId},{r.Key.Day:yyyy-MM-dd}: {r.Value.Jobs} jobs, {r.Value.Pages} pages, {r.Value.Credits:0.###} credits").Order(StringComparer.Ordinal);

    private static bool Same<TKey>(Dictionary<TKey, (Bill, Bill)> actual, Dictionary<TKey, (Bill, Bill)> expected)
        where TKey : notnull =>
        actual.Count == expected.Count && actual.All(a => expected.TryGetValue(a.Key, out var e) && e == a.Value);

    private static Bill Sum(IEnumerable<Bill> bills) => bills.Aggregate(default(Bill), static (sum, bill) => sum + bill);

    /// <summary>Jobs, pages and credits; decimal credits, so sums are exact and compared exactly.</summary>
    private readonly record struct Bill(long Jobs, long Pages, decimal Credits)
    {
        public static Bill operator +(Bill a, Bill b) => new(a.Jobs + b.Jobs, a.Pages + b.Pages, a.Credits + b.Credits);

        public static Bill From(JsonElement figures) =>
            new(figures.GetProperty("jobs").GetInt64(), figures.GetProperty("pages").GetInt64(), figures.GetProperty("credits").GetDecimal());
    }
}
