using System.Net;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Startup;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_LetsInFlightAndCoalescedRequestsFinish_ThenExitsZero()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        var gate = upstream.Script.Hold("done-drain");
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = "stand-in-key",
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["Shutdown__DrainTimeout"] = "00:00:20",
        });
        var address = await gateway.Listening(TimeSpan.FromSeconds(30));
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);

        var reads = Enumerable.Range(0, 5).Select(_ => client.GetAsync("/job/done-drain", cancel)).ToArray();
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        gateway.SendSigterm();
        await Task.Delay(500, cancel);
        gate.Release();

        var responses = await Task.WhenAll(reads);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, upstream.Requests.CountForJob("done-drain"));
    }
}
