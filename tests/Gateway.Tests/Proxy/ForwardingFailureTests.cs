using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

public sealed class ForwardingFailureTests
{
    [Theory]
    [InlineData("GET", "/jobs", "true")]
    [InlineData("DELETE", "/job/some-job", "true")]
    [InlineData("POST", "/parse_async", "false")]
    [InlineData("POST", "/upload", "false")]
    public async Task UnreachableUpstream_GivesTheGatewaysProblem_AndRetriesOnlyWhatIsSafeToRepeat(string method, string path, string shouldRetry)
    {
        await using var gateway = new GatewayFactory(new Uri($"http://127.0.0.1:{ClosedPort()}/"));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { input = "reducto://x.pdf" });
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(shouldRetry, response.Header("x-should-retry"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("urn:gateway:problem:upstream-unreachable", problem.RootElement.GetProperty("type").GetString());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
