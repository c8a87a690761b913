using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Auth;

/// <summary>
/// A keep-alive connection's key is remembered between its requests; a connection that changes its key (or drops
/// it) must be judged by what it sends now, on a real Kestrel socket where connections are kept alive.
/// </summary>
public sealed class KeepAliveKeyTests(KeepAliveKeyTests.AdminGateway fixture) : IClassFixture<KeepAliveKeyTests.AdminGateway>
{

    [Fact]
    public async Task OneConnection_ChangingItsKey_IsJudgedByEachRequestsKey()
    {
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = fixture.Address };

        (string? Key, HttpStatusCode Expected)[] sequence =
        [
            (GatewayFactory.TeamAKey, HttpStatusCode.OK),
            (GatewayFactory.TeamAKey, HttpStatusCode.OK),
            (GatewayFactory.AdminKey, HttpStatusCode.Forbidden),
            (GatewayFactory.TeamAKey, HttpStatusCode.OK),
            ("stranger-key-0123456789", HttpStatusCode.Unauthorized),
            (GatewayFactory.TeamBKey, HttpStatusCode.OK),
            (null, HttpStatusCode.Unauthorized),
            (GatewayFactory.TeamBKey, HttpStatusCode.OK),
            (GatewayFactory.AdminKey, HttpStatusCode.Forbidden),
        ];
        var statuses = new List<HttpStatusCode>();
        foreach (var (key, _) in sequence)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/job/done-2k");
            request.Headers.Authorization = key is null ? null : new("Bearer", key);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(sequence.Select(step => step.Expected), statuses);
        Assert.Equal(1, connections);
    }

    public sealed class AdminGateway : KestrelGateway
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Auth:AdminKey"] = GatewayFactory.AdminKey };
    }
}
