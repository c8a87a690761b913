using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;
using static Gateway.Tests.Credits.CreditsTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>
/// A synchronous creation's job is booked to its creator without anyone reading it: the gateway reads it once behind
/// the answer, and the job is then a cache hit for the caller.
/// </summary>
public sealed class SynchronousBookingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASynchronousParse_IsBookedToItsCreator_WithOneUpstreamRead_AndIsThenAHit()
    {
        await using var upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, null, CreditSettings());
        using var client = gateway.CreateClient();

        using var answer = await client.SendAsync(Request(HttpMethod.Post, "/parse", TeamC, Json("{\"input\":\"https://example.com/a.pdf\"}")), Cancel);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(Cancel));
        var job = body.RootElement.GetProperty("job_id").GetString()!;

        await Eventually.Until(async () => (await MonthAsync(gateway)).TryGetValue(("team-c", "k"), out var tally) && tally.Jobs == 1);
        Assert.Equal(1, upstream.Requests.CountForJob(job));
        Assert.False((await MonthAsync(gateway)).ContainsKey(("team-a", TeamAKeyId)));

        using var read = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamC), Cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.StartsWith("Gateway; hit", read.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        Assert.Equal(1, upstream.Requests.CountForJob(job));
    }
}
