using System.Diagnostics;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Direct;

/// <summary>
/// Direct hits in a real gateway process, for what only a process shows: keys revoked in the key directory while a
/// connection that made hits stays open, and SIGTERM with connections open that only ever made direct hits.
/// </summary>
public sealed class DirectHitProcessTests : KeyDirectoryProcessTest
{
    private const string Team = "direct-r";
    private const string OldKey = "direct-reload-old-key-00001";
    private const string NewKey = "direct-reload-new-key-00002";

    [Fact]
    public async Task KeyRevokedInTheKeyDirectory_IsRefusedOnTheConnectionThatMadeHitsWithIt_WithoutARestart()
    {
        WriteSetting($"Teams__{Team}__Keys__old__Key", OldKey);
        WriteSetting($"Teams__{Team}__Keys__new__Key", NewKey);
        await using var gateway = StartGateway(new() { ["Auth__KeysDirectory"] = KeyDirectory.FullName });
        var address = await gateway.Listening(TimeSpan.FromSeconds(30));
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await using var connection = await WireConnection.OpenAsync(address);
        await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, OldKey), WireConnection.Request("GET", "/job/" + id, OldKey));
        Assert.Equal("Gateway; fwd=uri-miss; stored", (await connection.ReadResponseAsync()).Header("Cache-Status"));
        Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));

        WriteSetting($"Teams__{Team}__Keys__old__Disabled", "true");
        await Eventually.Until(async () => await StatusOnANewConnectionAsync(address, id, OldKey) == 401, Propagation, "the revoked key refused");

        await connection.SendAsync(
            WireConnection.Request("GET", "/job/" + id, OldKey),
            WireConnection.Request("GET", "/job/" + id, NewKey),
            WireConnection.Request("GET", "/job/" + id, OldKey));
        var revoked = await connection.ReadResponseAsync();
        var other = await connection.ReadResponseAsync();
        var again = await connection.ReadResponseAsync();

        Assert.Equal(401, revoked.Status);
        Assert.Equal("urn:gateway:problem:gateway-key-revoked", Parity.ProblemType(revoked));
        Assert.Equal("Gateway; hit", other.Header("Cache-Status"));
        Assert.Equal(401, again.Status);
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task Sigterm_WithConnectionsThatMadeOnlyDirectHits_ClosesThem_FinishesTheOneInFlight_AndExitsPromptly()
    {
        // A drain far longer than the bound below: a connection the server failed to count as idle would hold the
        // process for all of it.
        await using var gateway = StartGateway(new() { ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey, ["Shutdown__DrainTimeout"] = "00:01:00" });
        var address = await gateway.Listening(TimeSpan.FromSeconds(30));
        var small = "done-2k-" + Guid.NewGuid().ToString("N");
        var large = "done-5m-" + Guid.NewGuid().ToString("N");
        await using (var warm = await WireConnection.OpenAsync(address))
        {
            await warm.SendAsync(WireConnection.Request("GET", "/job/" + small, GatewayFactory.TeamAKey), WireConnection.Request("GET", "/job/" + large, GatewayFactory.TeamAKey));
            await warm.ReadResponseAsync();
            await warm.ReadResponseAsync();
        }

        var idle = new List<WireConnection>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var connection = await WireConnection.OpenAsync(address);
                idle.Add(connection);
                await connection.SendAsync(WireConnection.Request("GET", "/job/" + small, GatewayFactory.TeamAKey), WireConnection.Request("GET", "/job/" + small, GatewayFactory.TeamAKey, "Accept-Encoding: gzip"));
                Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
                Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
            }

            await using var reading = await WireConnection.OpenAsync(address);
            await reading.SendAsync(WireConnection.Request("GET", "/job/" + large, GatewayFactory.TeamAKey));
            var stopping = Stopwatch.StartNew();
            gateway.SendSigterm();

            var inFlight = await reading.ReadResponseAsync();
            foreach (var connection in idle)
            {
                await connection.ClosedByServerAsync(TimeSpan.FromSeconds(30));
            }

            Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"exited {stopping.Elapsed} after SIGTERM with only idle connections open");
            Assert.Equal(await UpstreamBytesAsync(large), inFlight.Body);
            Assert.Equal(2, Upstream.Requests.CountForJob(large)); // the miss, and the test's own read
        }
        finally
        {
            foreach (var connection in idle)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<int> StatusOnANewConnectionAsync(Uri address, string id, string key)
    {
        await using var connection = await WireConnection.OpenAsync(address);
        await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, key));
        return (await connection.ReadResponseAsync()).Status;
    }

    // Written beside the directory and moved in, as a Secret update swaps whole files: a reader never sees half a value.
    private async Task<byte[]> UpstreamBytesAsync(string id)
    {
        using var direct = new HttpClient { BaseAddress = Upstream.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.ServerKey);
        return await direct.GetByteArrayAsync("job/" + id, Cancel);
    }
}
