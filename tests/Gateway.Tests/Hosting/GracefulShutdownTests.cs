using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Hosting;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_LetsInFlightAndCoalescedRequestsFinish_ThenExitsZero()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        var gate = upstream.Script.Hold("done-drain");
        await using var gateway = Start(upstream, drainTimeout: "00:00:20");
        using var client = await ClientForAsync(gateway);

        var reads = Enumerable.Range(0, 5).Select(_ => client.GetAsync("/job/done-drain", cancel)).ToArray();
        await gate.WhenWaiting(1, TimeSpan.FromSeconds(10));
        // All five in the gateway (the scrape is the sixth), so none of them is one that arrives after SIGTERM.
        await Eventually.Until(async () => await ActiveRequestsAsync(client) > reads.Length, because: "every read is in flight");
        gateway.SendSigterm();
        // The upstream answers only once the gateway is draining, so the reads are answered by the drain.
        await Eventually.Until(() => gateway.Output.Contains(ShuttingDown, StringComparison.Ordinal), because: "the gateway began shutting down");
        gate.Release();

        var responses = await Task.WhenAll(reads);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, upstream.Requests.CountForJob("done-drain"));
    }

    [Fact]
    public async Task Sigterm_AnswersLongPollingCallersWithTheLatestState_InsteadOfHoldingThemToTheEnd()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        await using var gateway = Start(upstream, drainTimeout: "00:00:30");
        using var client = await ClientForAsync(gateway);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/pending-drain");
        request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        var waiting = client.SendAsync(request, cancel);
        await Eventually.Until(() => upstream.Requests.CountForJob("pending-drain") >= 2, because: "the watcher is polling");
        var stopped = DateTime.UtcNow;
        gateway.SendSigterm();

        using var response = await waiting;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"Pending\"", await response.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(10), "answered at shutdown, not after its 60 s wait");
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    // Logged by the host (Microsoft.Hosting.Lifetime) when SIGTERM starts the shutdown.
    private const string ShuttingDown = "Application is shutting down...";

    private static async Task<long> ActiveRequestsAsync(HttpClient client)
    {
        var metrics = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return Regex.Matches(metrics, @"^http_server_active_requests(\{[^}]*\})? (?<value>[0-9.eE+]+)", RegexOptions.Multiline)
            .Sum(m => (long)double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    private static GatewayProcess Start(StandInServer upstream, string drainTimeout) => GatewayProcess.Start(new Dictionary<string, string>
    {
        ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
        ["Upstream__ApiKey"] = "stand-in-key",
        ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
        ["Shutdown__DrainTimeout"] = drainTimeout,
    });

    private static async Task<HttpClient> ClientForAsync(GatewayProcess gateway)
    {
        var client = new HttpClient { BaseAddress = await gateway.Listening(TimeSpan.FromSeconds(30)) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);
        return client;
    }
}
