using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Gateway.Tests.Creations.ReuseTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Creations;

/// <summary>
/// A reused creation spends nothing and saves what the earlier job cost: booked to the team (and key) that asked, in
/// <c>/usage</c>, <c>/admin/usage</c>, the month's CSV and <c>gateway.credits.saved</c>; the team's spending is the
/// one job. Two replicas share the reuse index through Redis.
/// </summary>
public sealed class ReuseCreditsTests(RedisServer redis)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReuseOnAnotherReplica_SavesTheEarlierJobsCredits_InEveryReport()
    {
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, Credits.CreditsTestKit.CreditSettings(ReuseTestKit.Settings()));
        var meters = set.Replicas[1].Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var saved = new MetricCollector<double>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.credits.saved");
        var body = NewBody();
        var (_, job) = await CreateAsync(set.Clients[0], body);
        await CompleteAsync(set.Clients[0], set.Upstream, job, pages: 4, credits: 7.25m);

        var (first, once) = await CreateAsync(set.Clients[1], body);
        var (second, twice) = await CreateAsync(set.Clients[1], body);

        Assert.Equal((job, job), (once, twice));
        Assert.Equal((job, job), (Reused(first), Reused(second)));
        Assert.Equal(1, set.Upstream.Creations.Count);
        Assert.Equal([7.25, 7.25], saved.GetMeasurementSnapshot().Select(static m => m.Value));
        Assert.All(saved.GetMeasurementSnapshot(), static m => Assert.Equal("team-a", m.Tags["team"]));

        await Eventually.Until(async () => (await TeamCreditsAsync(set.Clients[0], "/usage", TeamA)).GetProperty("jobsReused").GetInt32() == 2,
            because: "both savings reached the deployment's figures");
        var usage = await TeamCreditsAsync(set.Clients[0], "/usage", TeamA);
        Assert.Equal(14.5m, usage.GetProperty("creditsSaved").GetDecimal());
        Assert.Equal(7.25m, usage.GetProperty("credits").GetDecimal());
        Assert.Equal(1, usage.GetProperty("jobs").GetInt32());
        var admin = await TeamCreditsAsync(set.Clients[1], "/admin/usage", GatewayFactory.AdminKey);
        Assert.Equal(14.5m, admin.GetProperty("creditsSaved").GetDecimal());

        using var counts = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/usage", TeamA), Cancel);
        using var report = JsonDocument.Parse(await counts.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(2, report.RootElement.GetProperty("today").GetProperty("creationsReused").GetInt32());

        var month = DateTimeOffset.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        using var export = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/admin/usage/export?month=" + month, GatewayFactory.AdminKey), Cancel);
        var rows = (await export.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(static line => line.Split(',')).Where(static row => row[0] == "team-a").ToArray();
        Assert.Equal(7.25m, rows.Sum(static r => decimal.Parse(r[5], CultureInfo.InvariantCulture)));
        Assert.Equal(14.5m, rows.Sum(static r => decimal.Parse(r[6], CultureInfo.InvariantCulture)));

        // The operations page: the hour's reused creations per team, and the month's credits saved beside those spent.
        foreach (var each in set.Replicas)
        {
            await each.Services.GetRequiredService<global::Gateway.Usage.UsageLedger>().FlushAsync();
        }

        var replica = set.Replicas[1];
        await replica.Services.GetRequiredService<global::Gateway.Operations.OperationsSampler>().SampleAsync();
        await replica.Services.GetRequiredService<global::Gateway.Credits.CreditBudgets>().RefreshAsync();
        using var overviewResponse = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/admin/overview", GatewayFactory.AdminKey), Cancel);
        using var overview = JsonDocument.Parse(await overviewResponse.Content.ReadAsStringAsync(Cancel));
        var series = overview.RootElement.GetProperty("teams").EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-a");
        Assert.Equal(2, series.GetProperty("creations").GetProperty("reused").EnumerateArray().Sum(static v => v.GetInt64()));
        Assert.Equal(1, series.GetProperty("creations").GetProperty("forwarded").EnumerateArray().Sum(static v => v.GetInt64()));
        var monthCredits = overview.RootElement.GetProperty("credits").EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-a");
        Assert.Equal((7.25m, 14.5m), (monthCredits.GetProperty("credits").GetDecimal(), monthCredits.GetProperty("creditsSaved").GetDecimal()));
    }

    [Fact]
    public async Task WithoutRedis_AReplicaReusesWhatItLearnt_AndBooksTheSavingItself()
    {
        await using var set = await ReplicaSet.StartAsync(1, redis: null, Credits.CreditsTestKit.CreditSettings(ReuseTestKit.Settings()));
        var body = NewBody();
        var (_, job) = await CreateAsync(set.Clients[0], body);
        await CompleteAsync(set.Clients[0], set.Upstream, job, pages: 2, credits: 1.5m);

        var (reused, again) = await CreateAsync(set.Clients[0], body);

        Assert.Equal(job, again);
        Assert.Equal(job, Reused(reused));
        Assert.Equal(1, set.Upstream.Creations.Count);
        var usage = await TeamCreditsAsync(set.Clients[0], "/usage", TeamA);
        Assert.Equal(1.5m, usage.GetProperty("creditsSaved").GetDecimal());
        Assert.Equal(1, usage.GetProperty("jobsReused").GetInt32());
    }

    /// <summary>This month's credit figures of team A, as <paramref name="path"/> answers them.</summary>
    private static async Task<JsonElement> TeamCreditsAsync(HttpClient client, string path, string key)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Get, path, key), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var team = json.RootElement.TryGetProperty("teams", out var teams)
            ? teams.EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-a")
            : json.RootElement;
        return team.GetProperty("credits").GetProperty("thisMonth").Clone();
    }
}
