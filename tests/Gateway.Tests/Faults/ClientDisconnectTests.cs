using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Faults;

/// <summary>Callers that vanish mid-response, on a real socket: the gateway must neither break nor store less.</summary>
public sealed class ClientDisconnectTests(KestrelGateway fixture) : IClassFixture<KestrelGateway>
{
    private readonly Uri _address = fixture.Address;
    private readonly StandInServer _upstream = fixture.Upstream;

    [Fact]
    public async Task ClientsDroppingMidBody_DoNotAffectTheCachedCopyOrLaterReaders()
    {
        var cancel = TestContext.Current.CancellationToken;
        for (var i = 0; i < 10; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(_address.Host, _address.Port, cancel);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /job/done-5m HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + GatewayFactory.TeamAKey + "\r\n\r\n"), cancel);
            var buffer = new byte[100_000];
            await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancel);
            tcp.Client.LingerState = new LingerOption(true, 0);
        }

        using var client = new HttpClient { BaseAddress = _address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);
        using var direct = new HttpClient { BaseAddress = _upstream.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.ServerKey);
        var expected = await direct.GetByteArrayAsync("job/done-5m", cancel);
        using var response = await client.GetAsync("/job/done-5m", cancel);

        Assert.Equal("Gateway; hit", response.Header("Cache-Status"));
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync(cancel));
        Assert.Equal(2, _upstream.Requests.CountForJob("done-5m"));
    }
}
