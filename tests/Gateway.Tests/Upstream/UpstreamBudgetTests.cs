using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Upstream;

/// <summary>Two teams behind one server key: the upstream budget holds, and the quiet team still gets its share.</summary>
public sealed class UpstreamBudgetTests : GatewayTest
{
    private const int JobPollsPerSecond = 20;
    private const int RequestsPerSecond = 30;
    private static readonly TimeSpan s_flood = TimeSpan.FromSeconds(3);

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Upstream:JobPollsPerSecond"] = JobPollsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Upstream:RequestsPerSecond"] = RequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Upstream:BudgetWait"] = "00:00:01",
        ["Upstream:Retries"] = "0",
    };

    [Fact]
    public async Task TeamAFloods_UpstreamStaysWithinTheRate_TeamBGetsItsShare_AndHitsKeepFlowing()
    {
        using var teamA = Gateway.CreateClient(GatewayFactory.TeamAKey);
        using var teamB = Gateway.CreateClient(GatewayFactory.TeamBKey);
        using (var warm = await teamA.GetAsync("/job/done-budget", Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        var aStatuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var flood = Enumerable.Range(0, 40).Select(loop => Task.Run(async () =>
        {
            for (var i = 0; clock.Elapsed < s_flood; i++)
            {
                using var response = await teamA.GetAsync($"/job/pending-a{loop}-{i}", Cancel);
                aStatuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.NotNull(response.Header("retry-after-ms"));
                    Assert.Equal("true", response.Header("x-should-retry"));
                }
            }
        }, Cancel)).ToArray();

        var bResults = new List<HttpStatusCode>();
        var hits = new List<(HttpStatusCode Status, string? CacheStatus)>();
        for (var i = 0; clock.Elapsed < s_flood; i++)
        {
            using (var response = await teamB.GetAsync($"/job/pending-b-{i}", Cancel))
            {
                bResults.Add(response.StatusCode);
            }

            using (var hit = await teamA.GetAsync("/job/done-budget", Cancel))
            {
                hits.Add((hit.StatusCode, hit.Header("Cache-Status")));
            }

            await Task.Delay(150, Cancel);
        }

        await Task.WhenAll(flood);

        var polls = Upstream.Requests.All.Where(r => r.Path.StartsWith("/job/pending-", StringComparison.Ordinal)).Select(r => r.At).Order().ToArray();
        Assert.InRange(RequestWindows.MaxInAnyWindow(polls, TimeSpan.FromSeconds(1)), 1, JobPollsPerSecond);
        Assert.Contains(HttpStatusCode.TooManyRequests, aStatuses);
        Assert.True(bResults.Count(s => s == HttpStatusCode.OK) >= 0.8 * bResults.Count,
            $"team B got {bResults.Count(s => s == HttpStatusCode.OK)} of {bResults.Count} through while team A flooded");
        Assert.All(hits, h => Assert.Equal((HttpStatusCode.OK, "Gateway; hit"), h));
        Assert.Equal(1, Upstream.Requests.CountForJob("done-budget"));
    }

    [Fact]
    public async Task ForwardedCalls_AreHeldToTheOverallRate()
    {
        var clock = Stopwatch.StartNew();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(2))
            {
                using var response = await Client.GetAsync("/version", Cancel);
                statuses.Add(response.StatusCode);
            }
        }, Cancel)));

        var forwarded = Upstream.Requests.All.Where(r => r.Path == "/version").Select(r => r.At).Order().ToArray();
        Assert.InRange(RequestWindows.MaxInAnyWindow(forwarded, TimeSpan.FromSeconds(1)), 1, RequestsPerSecond);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }
}
