using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;
using static Gateway.Tests.Credits.CreditsTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>What <c>/usage</c>, <c>/admin/usage</c> and the month's CSV say a team's jobs cost, against the job bodies themselves.</summary>
public sealed class CreditReportTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheMonthsCsv_AddsUpToTheJobBodiesCredits_AndUsageShowsTheTeamsShare()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, CreditSettings(new Dictionary<string, string?>
        {
            ["Credits:PerPageWhenUnpriced"] = "1.5",
        }));
        using var client = gateway.CreateClient();
        var costs = new (string Key, int Pages, decimal? Credits)[] { (TeamA, 3, 3.0m), (TeamA, 12, 7.25m), (TeamA, 4, null), (TeamC, 1, 0.125m), (TeamC, 30, 60m) };
        var expected = 0m;
        foreach (var (key, pages, credits) in costs)
        {
            var id = await CreateJobAsync(client, key);
            upstream.Script.Respond(id, 200, CompletedBody(id, pages, credits));
            using var read = await client.SendAsync(Request(HttpMethod.Get, "/job/" + id, key), Cancel);
            using var body = JsonDocument.Parse(await read.Content.ReadAsStringAsync(Cancel));
            var usage = body.RootElement.GetProperty("result").GetProperty("usage");
            expected += usage.GetProperty("credits").ValueKind == JsonValueKind.Null
                ? usage.GetProperty("num_pages").GetInt32() * 1.5m
                : usage.GetProperty("credits").GetDecimal();
        }

        // A failed job books nothing.
        var failed = await CreateJobAsync(client, TeamA);
        upstream.Script.Respond(failed, 200, "{\"status\":\"Failed\",\"reason\":\"corrupt\",\"result\":null}");
        using (await client.SendAsync(Request(HttpMethod.Get, "/job/" + failed, TeamA), Cancel))
        {
        }

        var month = DateTimeOffset.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        using var export = await client.SendAsync(Request(HttpMethod.Get, "/admin/usage/export?month=" + month, GatewayFactory.AdminKey), Cancel);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        var lines = (await export.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("team,key_id,day,jobs,pages,credits,credits_saved", lines[0]);
        var rows = lines.Skip(1).Select(static line => line.Split(',')).ToArray();
        Assert.Equal(["team-a", "team-c"], rows.Select(static r => r[0]).Order());
        Assert.Equal(expected, rows.Sum(static r => decimal.Parse(r[5], CultureInfo.InvariantCulture)));
        Assert.Equal(5, rows.Sum(static r => int.Parse(r[3], CultureInfo.InvariantCulture)));
        Assert.Equal(50, rows.Sum(static r => int.Parse(r[4], CultureInfo.InvariantCulture)));

        using var teamUsage = await client.SendAsync(Request(HttpMethod.Get, "/usage", TeamA), Cancel);
        using var report = JsonDocument.Parse(await teamUsage.Content.ReadAsStringAsync(Cancel));
        var teamCredits = report.RootElement.GetProperty("credits");
        Assert.Equal(3.0m + 7.25m + 6m, teamCredits.GetProperty("thisMonth").GetProperty("credits").GetDecimal());
        Assert.Equal(3, teamCredits.GetProperty("today").GetProperty("jobs").GetInt32());
        Assert.Equal(19, teamCredits.GetProperty("lastHour").GetProperty("pages").GetInt32());
        Assert.Equal(TeamAKeyId, teamCredits.GetProperty("keys")[0].GetProperty("keyId").GetString());

        using var admin = await client.SendAsync(Request(HttpMethod.Get, "/admin/usage", GatewayFactory.AdminKey), Cancel);
        using var overview = JsonDocument.Parse(await admin.Content.ReadAsStringAsync(Cancel));
        var teamC = overview.RootElement.GetProperty("teams").EnumerateArray().Single(static t => t.GetProperty("team").GetString() == "team-c");
        Assert.Equal(60.125m, teamC.GetProperty("credits").GetProperty("thisMonth").GetProperty("credits").GetDecimal());
    }

    [Theory]
    [InlineData("2026-13")]
    [InlineData("2026-1")]
    [InlineData("")]
    public async Task AMonthNotWrittenYyyyMm_IsA400Problem(string month)
    {
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, settings: CreditSettings());
        using var client = gateway.CreateClient();

        using var response = await client.SendAsync(Request(HttpMethod.Get, "/admin/usage/export?month=" + month, GatewayFactory.AdminKey), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("urn:gateway:problem:invalid-month", problem.RootElement.GetProperty("type").GetString());
    }
}
