using Reducto.StandIn;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway on a real Kestrel socket (for tests that send raw bytes), with its stand-in upstream. Shared by the
/// tests of a class; each test clears the upstream's journal first.
/// </summary>
public class KestrelGateway : IAsyncLifetime
{
    public StandInServer Upstream { get; private set; } = null!;

    public GatewayFactory Gateway { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    protected virtual string? RedisConnectionString => null;

    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async ValueTask InitializeAsync()
    {
        Upstream = await StandInServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        Gateway = new GatewayFactory(Upstream.BaseAddress, RedisConnectionString, Settings);
        Address = Gateway.StartOnKestrel();
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
