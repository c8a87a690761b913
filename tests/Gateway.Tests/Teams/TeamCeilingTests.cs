using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Teams;

/// <remarks>
/// The refusals are read from <c>/metrics</c>, which every gateway in this process shares by meter name, so these
/// tests use team names of their own.
/// </remarks>
[Collection(ScrapedMetricsTests.Name)]
public sealed class TeamCeilingTests : GatewayTest
{
    private const string FreeTeam = "ceiling-a";
    private const string LimitedTeam = "ceiling-b";
    private const string FreeKey = "ceiling-team-a-key-0001";
    private const string LimitedKey = "ceiling-team-b-key-0002";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:ClientKeys:" + FreeTeam] = FreeKey,
        ["Auth:ClientKeys:" + LimitedTeam] = LimitedKey,
        ["Teams:" + LimitedTeam + ":RequestsPerSecond"] = "5",
    };

    [Fact]
    public async Task TeamCeiling_Gives429ProblemToThatTeamOnly_AndIsCounted()
    {
        using var teamA = Gateway.CreateClient(FreeKey);
        using var teamB = Gateway.CreateClient(LimitedKey);
        var bStatuses = new List<HttpStatusCode>();
        var aStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 15; i++)
        {
            using (var b = await teamB.GetAsync("/job/done-ceiling", Cancel))
            {
                bStatuses.Add(b.StatusCode);
                if (b.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.Contains("team-limit-reached", await b.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
                    Assert.NotNull(b.Header("retry-after-ms"));
                }
            }

            using var a = await teamA.GetAsync("/job/done-ceiling", Cancel);
            aStatuses.Add(a.StatusCode);
        }

        Assert.InRange(bStatuses.Count(s => s == HttpStatusCode.OK), 5, 7);
        Assert.All(aStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var metrics = await ScrapedMetricsTests.ScrapeAsync(Gateway, Cancel);
        Assert.Equal(bStatuses.Count(s => s == HttpStatusCode.TooManyRequests), ScrapedMetricsTests.Value(metrics, "gateway_throttled_total", LimitedTeam));
    }
}
