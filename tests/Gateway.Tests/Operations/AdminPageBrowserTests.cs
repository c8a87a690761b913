using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Reducto.StandIn;

namespace Gateway.Tests.Operations;

/// <summary>
/// The operations page in a real browser (Debian's Chromium, driven by Playwright; no browser is downloaded) against
/// a gateway process with a Redis of its own and real traffic from two teams.
/// </summary>
public sealed class AdminPageBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string KeyA = "ops-team-a-gateway-key-01";
    private const string KeyB = "ops-team-b-gateway-key-02";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Page_ChartsBothTeams_AndItsStripTurnsDegradedWhenRedisStops()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        // Created jobs finish at once, so team A's job is booked to its budget.
        await using var upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["Cache__InstanceName"] = "browser-" + Guid.NewGuid().ToString("N")[..8] + ":",
            ["Auth__AdminKey"] = GatewayFactory.AdminKey,
            ["Auth__ClientKeys__ops-a"] = KeyA,
            ["Auth__ClientKeys__ops-b"] = KeyB,
            ["Teams__ops-a__CreditsPerMonth"] = "12",
            ["Teams__ops-a__CreditsWarnPercent"] = "20",
            ["Teams__ops-b__RequestsPerSecond"] = "2",
            ["Jobs__PendingFreshness"] = "00:00:30",
            ["Operations__SampleInterval"] = "00:00:00.500",
        });
        var address = await gateway.Listening(TimeSpan.FromSeconds(30));
        await DriveTrafficAsync(address);

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        var requested = new List<string>();
        var errors = new List<string>();
        page.Request += (_, request) => requested.Add(request.Url);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };

        await page.GotoAsync(new Uri(address, "/admin").ToString());
        await page.FillAsync("#key", GatewayFactory.AdminKey);
        await page.ClickAsync("button[type=submit]");

        await page.WaitForSelectorAsync("[data-pill=redis][data-state=up]");
        await page.WaitForFunctionAsync(
            "teams => teams.every(t => [...document.querySelectorAll(`svg[data-chart=chart-requests] path[data-team='${t}']`)].some(p => Number(p.dataset.sum) > 0))",
            new[] { "ops-a", "ops-b" });
        Assert.True(await SeriesSumAsync(page, "chart-hitratio", "ops-a") > 0);
        Assert.True(await SeriesSumAsync(page, "chart-shared", "ops-a") > 0);
        Assert.True(await SeriesSumAsync(page, "chart-upstream", "ops-b") > 0);
        Assert.True(await SeriesSumAsync(page, "chart-throttled", "Reducto's own 429") > 0);
        Assert.True(await SeriesSumAsync(page, "chart-throttled", "team limit") > 0);
        Assert.True(await SeriesSumAsync(page, "chart-latency", "hits p50") > 0);
        Assert.True(await SeriesSumAsync(page, "chart-latency", "misses p99") > 0);
        Assert.Contains("ops-a", await page.InnerTextAsync("#chart-requests .legend"), StringComparison.Ordinal);
        Assert.Contains("ops-b", await page.InnerTextAsync("#chart-requests .legend"), StringComparison.Ordinal);

        // Team A's one created job (3 credits) is a quarter of its 12: past its 20% warning line, under the budget.
        await page.WaitForSelectorAsync("tr[data-credits-team=ops-a][data-used='0.25']");
        Assert.Equal(["(unowned)", "ops-a"], await page.EvalOnSelectorAllAsync<string[]>("tr[data-credits-team]", "rows => rows.map(r => r.dataset.creditsTeam)"));
        Assert.Contains("25%", await page.InnerTextAsync("tr[data-credits-team=ops-a]"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Artifact("operations.png"), FullPage = true });

        await redis.StopAsync();
        await page.WaitForSelectorAsync("[data-pill=redis][data-state=degraded]");
        await page.ScreenshotAsync(new() { Path = Artifact("operations-redis-degraded.png"), FullPage = true });

        Assert.All(requested, url => Assert.StartsWith(address.GetLeftPart(UriPartial.Authority), url, StringComparison.Ordinal));
        Assert.DoesNotContain(GatewayFactory.AdminKey, page.Url, StringComparison.Ordinal);
        Assert.Empty(errors);
        Assert.DoesNotContain(GatewayFactory.AdminKey, gateway.Output, StringComparison.Ordinal);
    }

    /// <summary>Hits, misses, shared running answers, Reducto's 429s and a team's ceiling, for two teams.</summary>
    private static async Task DriveTrafficAsync(Uri address)
    {
        using var teamA = Client(address, KeyA);
        using var teamB = Client(address, KeyB);
        var done = "done-" + Guid.NewGuid().ToString("N");
        var pending = "pending-" + Guid.NewGuid().ToString("N");
        foreach (var id in new[] { done, done, done, done, pending, pending })
        {
            using var response = await teamA.GetAsync("/job/" + id, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var id in new[] { "done-" + Guid.NewGuid().ToString("N"), "status-429-" + Guid.NewGuid().ToString("N") })
        {
            using var _ = await teamB.GetAsync("/job/" + id, Cancel);
        }

        using (var created = await teamA.PostAsync("/parse_async", new StringContent("{\"input\":\"https://example.com/a.pdf\"}",
            System.Text.Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            using var job = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Cancel));
            using var read = await teamA.GetAsync("/job/" + job.RootElement.GetProperty("job_id").GetString(), Cancel);
            Assert.Contains("\"Completed\"", await read.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        // Two a second allowed: six reads at once meet the team's ceiling.
        var burst = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => teamB.GetAsync("/job/failed-burst", Cancel)));
        Assert.Contains(burst, static response => response.StatusCode == HttpStatusCode.TooManyRequests);
        foreach (var response in burst)
        {
            response.Dispose();
        }
    }

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    private static Task<double> SeriesSumAsync(IPage page, string chart, string series) => page.EvaluateAsync<double>(
        "([chart, series]) => [...document.querySelectorAll(`svg[data-chart=${chart}] path`)].filter(p => p.dataset.series === series || p.dataset.team === series).reduce((a, p) => a + Number(p.dataset.sum), 0)",
        new[] { chart, series });

    private static string Artifact(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        TestContext.Current.TestOutputHelper?.WriteLine("Screenshot: " + path);
        return path;
    }
}
