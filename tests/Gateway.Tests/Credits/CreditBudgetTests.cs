using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Ownership;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;
using static Gateway.Tests.Credits.CreditsTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>
/// Monthly budgets: one warning past the soft line, new jobs refused at the hard one (nothing sent upstream, reads
/// still served), jobs already running finishing above it, every replica refusing, and the 1st of the month starting again.
/// </summary>
public sealed class CreditBudgetTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Budget(string budget = "10", string warn = "50") => CreditSettings(new Dictionary<string, string?>
    {
        ["Teams:team-c:CreditsPerMonth"] = budget,
        ["Teams:team-c:CreditsWarnPercent"] = warn,
    });

    [Fact]
    public async Task PastTheHardLine_NewJobsAreRefused_RunningJobsOvershoot_AndReadsGoOn()
    {
        // One replica without Redis: its own book is the month's figure (the replicas' shared one is tested below). The
        // upstream budget refills by this clock, so it moves a second before each call that reaches the stand-in.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 20, 10, 0, 0, TimeSpan.Zero));
        void Tick() => time.Advance(TimeSpan.FromSeconds(1));
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, settings: Budget(), time: time);
        using var client = gateway.CreateClient();

        // Two jobs at 3 credits: 6 of 10, past the 50% warning.
        var first = await CreateAndCompleteAsync(client, upstream, credits: 3m, Tick);
        await CreateAndCompleteAsync(client, upstream, credits: 3m, Tick);
        Assert.Single(gateway.Logs.GetSnapshot(), static log => log.Id.Id == CreditsLog.BudgetWarningId);

        // Under the line, two more start; both finish after it is crossed and are booked in full: 12 of 10.
        Tick();
        var running = new List<string> { await CreateJobAsync(client, TeamC) };
        Tick();
        running.Add(await CreateJobAsync(client, TeamC));
        foreach (var id in running)
        {
            upstream.Script.Respond(id, 200, CompletedBody(id, 3, 3m));
            Tick();
            await ReadUntilCompletedAsync(client, id, TeamC);
        }

        var creations = upstream.Creations.Count;
        using var refused = await CreateAsync(client);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("urn:gateway:problem:credit-budget-exceeded", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(12m, problem.RootElement.GetProperty("used").GetDecimal());
        Assert.Equal("false", refused.Headers.GetValues("x-should-retry").Single());
        Assert.Equal(creations, upstream.Creations.Count);
        Assert.Single(gateway.Logs.GetSnapshot(), static log => log.Id.Id == CreditsLog.BudgetWarningId);

        // Reads are never refused for budget, and another team creates as before.
        await ReadUntilCompletedAsync(client, first, TeamC);
        Tick();
        await CreateJobAsync(client, TeamA);

        using var usage = await client.SendAsync(Request(HttpMethod.Get, "/usage", TeamC), Cancel);
        using var report = JsonDocument.Parse(await usage.Content.ReadAsStringAsync(Cancel));
        var budget = report.RootElement.GetProperty("credits").GetProperty("budget");
        Assert.Equal((10m, 12m, true), (budget.GetProperty("creditsPerMonth").GetDecimal(), budget.GetProperty("used").GetDecimal(), budget.GetProperty("exceeded").GetBoolean()));
    }

    [Fact]
    public async Task ARefusal_SaysRetryAfterTheFirstOfTheMonth_WhenCreationsResume()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 20, 10, 0, 0, TimeSpan.Zero));
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, settings: Budget(), time: time);
        using var client = gateway.CreateClient();
        var id = await CreateJobAsync(client, TeamC);
        var owner = await gateway.Services.GetRequiredService<OwnershipLedger>().FindAsync(OwnedKind.Job, id);
        await gateway.Services.GetRequiredService<CreditLedger>().BookAsync(id, owner, Encoding.UTF8.GetBytes(CompletedBody(id, 20, 10m)));

        var creations = upstream.Creations.Count;
        using var refused = await CreateAsync(client);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromDays(12) - TimeSpan.FromHours(10), refused.Headers.RetryAfter?.Delta);

        time.SetUtcNow(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero));
        using var stillRefused = await CreateAsync(client);
        Assert.Equal(HttpStatusCode.TooManyRequests, stillRefused.StatusCode);
        Assert.Equal(creations, upstream.Creations.Count);

        // 00:00 UTC on the 1st: a new month, a new budget.
        time.SetUtcNow(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await CreateJobAsync(client, TeamC);
        Assert.Equal(creations + 1, upstream.Creations.Count);
    }

    [Fact]
    public async Task ABudgetSpentThroughOneReplica_IsRefusedByTheOthers()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        var settings = Budget(budget: "5", warn: "90");
        settings["Credits:BudgetRefresh"] = "00:00:00";
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, settings);
        await CreateAndCompleteAsync(set.Clients[0], set.Upstream, credits: 5m, static () => { });

        var creations = set.Upstream.Creations.Count;
        foreach (var client in set.Clients)
        {
            using var refused = await CreateAsync(client);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        Assert.Equal(creations, set.Upstream.Creations.Count);
    }

    private static Task<HttpResponseMessage> CreateAsync(HttpClient client) =>
        client.SendAsync(Request(HttpMethod.Post, "/parse_async", TeamC, Json("{\"input\":\"https://example.com/a.pdf\"}")), Cancel);

    /// <param name="beforeUpstreamCall">Moves a fake clock on, so the upstream budget has a token for the next call.</param>
    private static async Task<string> CreateAndCompleteAsync(HttpClient client, StandInServer upstream, decimal credits, Action beforeUpstreamCall)
    {
        beforeUpstreamCall();
        var id = await CreateJobAsync(client, TeamC);
        upstream.Script.Respond(id, 200, CompletedBody(id, 3, credits));
        beforeUpstreamCall();
        Assert.Equal(credits, await ReadUntilCompletedAsync(client, id, TeamC));
        return id;
    }
}
