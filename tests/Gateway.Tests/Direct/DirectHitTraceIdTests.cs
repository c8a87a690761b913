using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Direct;

/// <summary>
/// Every request on a connection keeps a trace identifier of its own, numbered as Kestrel numbers them when it serves
/// the whole connection: after direct hits, across turns, and after the rest of the connection was handed over.
/// </summary>
public sealed class DirectHitTraceIdTests(DirectHitGateways fixture) : IClassFixture<DirectHitGateways>
{
    [Fact]
    public async Task KeylessRequestsAfterHitsAndAHandOff_EachGetTheirOwnTraceId_NumberedAsKestrelNumbersThem()
    {
        var hit = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(hit);
        const string Body = "{}";
        string[] steps =
        [
            WireConnection.Request("GET", "/job/" + hit, GatewayFactory.TeamAKey),
            WireConnection.Request("GET", "/job/" + hit, null),
            WireConnection.Request("GET", "/job/" + hit, GatewayFactory.TeamAKey),
            WireConnection.Request("GET", "/job/" + hit, null),
            WireConnection.Request("GET", "/job/" + hit, null),
            WireConnection.Request("POST", "/cancel/trace-id-job", null, "Content-Type: application/json", $"Content-Length: {Body.Length}") + Body,
            WireConnection.Request("GET", "/job/" + hit, null),
        ];

        var numbers = new Dictionary<GatewayHost, List<string>>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            numbers[gateway] = [];
            foreach (var step in steps)
            {
                await connection.SendAsync(step);
                var response = await connection.ReadResponseAsync();
                if (response.Status == 401)
                {
                    using var problem = JsonDocument.Parse(Encoding.UTF8.GetString(response.Body));
                    var traceId = problem.RootElement.GetProperty("traceId").GetString()!;
                    numbers[gateway].Add(traceId[(traceId.LastIndexOf(':') + 1)..]);
                }
            }
        }

        Assert.Equal(["00000002", "00000004", "00000005", "00000006", "00000007"], numbers[fixture.Reference]);
        Assert.Equal(numbers[fixture.Reference], numbers[fixture.Direct]);
    }
}
