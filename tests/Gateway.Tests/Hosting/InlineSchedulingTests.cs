using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>
/// <c>Server:InlineScheduling</c> (on by default: requests run on the socket transport's own threads) can be turned
/// off, handing requests to the thread pool, and that changes nothing else. Every other Kestrel test runs inline.
/// </summary>
public sealed class InlineSchedulingTests : IClassFixture<InlineSchedulingTests.InlineGateway>
{
    private readonly InlineGateway _fixture;

    public InlineSchedulingTests(InlineGateway fixture) => _fixture = fixture;

    [Fact]
    public async Task WithoutInlineScheduling_ConcurrentReadsOfALargeJob_GetTheSameBytes_FromOneUpstreamRead()
    {
        Assert.False(_fixture.Gateway.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
        using var client = new HttpClient { BaseAddress = _fixture.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFactory.TeamAKey);
        var id = "done-1m-" + Guid.NewGuid().ToString("N");

        var bodies = await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            using var response = await client.GetAsync("/job/" + id, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        }));

        Assert.True(bodies[0].Length > 1_000_000);
        Assert.All(bodies, body => Assert.Equal(bodies[0], body));
        Assert.Equal(1, _fixture.Upstream.Requests.CountForJob(id));
    }

    public sealed class InlineGateway : KestrelGateway
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Server:InlineScheduling"] = "false",
        };
    }
}
