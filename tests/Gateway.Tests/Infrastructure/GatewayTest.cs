using Reducto.StandIn;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// One stand-in upstream and one gateway per test class; each test uses its own job ids, so no assertion depends on
/// another test. Subclasses choose Redis (or none) and extra settings.
/// </summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected StandInServer Upstream { get; private set; } = null!;

    protected GatewayFactory Gateway { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected virtual string? RedisConnectionString => null;

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected virtual TimeProvider? Time => null;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync()
    {
        Upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        Gateway = new GatewayFactory(Upstream.BaseAddress, RedisConnectionString, Settings, Time);
        Client = Gateway.CreateClient();
    }

    public virtual async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N");

    protected Task<HttpResponseMessage> GetJobAsync(string jobId) => Client.GetAsync("/job/" + jobId, Cancel);
}
