using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Webhooks;

/// <summary>Without a secret there is no webhook endpoint: nobody can make the gateway call Reducto unauthenticated.</summary>
public sealed class WebhookDisabledTests : GatewayTest
{
    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(GatewayFactory.TeamAKey, HttpStatusCode.NotFound)]
    public async Task WithNeitherSecret_TheEndpointDoesNotExist(string? gatewayKey, HttpStatusCode expected)
    {
        using var client = Gateway.CreateClient(gatewayKey);
        using var content = new StringContent("{\"status\":\"Completed\",\"job_id\":\"done-1\"}", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/webhooks/reducto", content, Cancel);

        // Like any path the gateway does not serve: refused without a key, unknown with one.
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(0, Upstream.Requests.Count);
    }
}
