using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Reducto.StandIn;

namespace Gateway.Tests.Jobs;

/// <summary>Hostile request targets sent as raw bytes to the gateway on a real Kestrel socket.</summary>
public sealed class RawPathTests : IAsyncLifetime
{
    private StandInServer _upstream = null!;
    private GatewayFactory _gateway = null!;
    private Uri _address = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await StandInServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        _gateway = new GatewayFactory(_upstream.BaseAddress);
        _gateway.UseKestrel(0);
        _gateway.StartServer();
        var addresses = _gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        _address = new Uri(addresses.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData("/job/..")]
    [InlineData("/job/%2e%2e")]
    [InlineData("/job/%2E%2E")]
    [InlineData("/job/.")]
    [InlineData("/job/../jobs")]
    [InlineData("/job/x/../../version")]
    [InlineData("/job/%2e%2e/version")]
    public async Task DotSegments_NeverReachTheUpstream(string target)
    {
        var status = await RawHttp.GetStatusAsync(_address, target);
        Assert.NotEqual(0, status);
        Assert.True(status >= 400, $"{target} answered {status}");
        Assert.Equal(0, _upstream.Requests.Count);
    }

    [Theory]
    [InlineData("/job/a%20b")]
    [InlineData("/job/x%2Fy")]
    [InlineData("/job/%00abc")]
    [InlineData("/job/a%0Ab")]
    [InlineData("/job/%FF%FE")]
    [InlineData("/job/a;b")]
    public async Task MalformedIds_OnTheWire_Get400AndNoUpstreamRequest(string target)
    {
        Assert.Equal(400, await RawHttp.GetStatusAsync(_address, target));
        Assert.Equal(0, _upstream.Requests.Count);
    }

    [Fact]
    public async Task ValidId_OnTheWire_ReachesTheUpstream()
    {
        Assert.Equal(200, await RawHttp.GetStatusAsync(_address, "/job/done-2k"));
        Assert.Equal(1, _upstream.Requests.CountForJob("done-2k"));
    }
}
