using System.Net;
using System.Text.Json;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

internal static class StandInStatsClient
{
    // Without Reducto's key on purpose: the stats are the stand-in's, not part of the API it imitates.
    public static async Task<JsonDocument> GetAsync(StandInServer standIn, string query = "")
    {
        using var anonymous = new HttpClient();
        using var response = await anonymous.GetAsync(new Uri(standIn.BaseAddress, "_standin/stats" + query), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }
}
