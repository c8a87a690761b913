using System.Net;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Direct;

/// <summary>
/// Two gateways on real Kestrel sockets in front of one stand-in, configured alike but for one setting:
/// <see cref="Direct"/> runs with the defaults, so terminal hits may be answered below Kestrel's HTTP layer, and
/// <see cref="Reference"/> with <c>Server:DirectHits=false</c>, so every request goes through Kestrel. One stand-in
/// serves both, so a job's bytes are the same through either, and a difference between their answers is a
/// difference between the two paths.
/// </summary>
public class DirectHitGateways : IAsyncLifetime
{
    public const string DirectHitsSetting = "Server:DirectHits";

    public StandInServer Upstream { get; private set; } = null!;

    public GatewayHost Direct { get; private set; } = null!;

    public GatewayHost Reference { get; private set; } = null!;

    public IEnumerable<GatewayHost> Both => [Direct, Reference];

    protected virtual TimeProvider? Time => null;

    protected virtual IReadOnlyDictionary<string, string?> Settings => DirectTeams.Settings;

    public async ValueTask InitializeAsync()
    {
        Upstream = await StandInServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        Direct = GatewayHost.Start(Upstream, Settings, Time);
        Reference = GatewayHost.Start(Upstream, new Dictionary<string, string?>(Settings) { [DirectHitsSetting] = "false" }, Time);
    }

    public async ValueTask DisposeAsync()
    {
        await Direct.DisposeAsync();
        await Reference.DisposeAsync();
        await Upstream.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads the job once through each gateway (a miss each), so it is a memory-tier hit on both.</summary>
    public async Task WarmAsync(string jobId)
    {
        foreach (var gateway in Both)
        {
            using var client = gateway.Factory.CreateClient(GatewayFactory.TeamAKey);
            using var response = await client.GetAsync("/job/" + jobId, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Gateway; fwd=uri-miss; stored", response.Header("Cache-Status"));
        }
    }

    /// <summary>The job's bytes as the stand-in serves them (one more read of it there).</summary>
    public async Task<byte[]> UpstreamBytesAsync(string jobId)
    {
        using var direct = new HttpClient { BaseAddress = Upstream.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.ServerKey);
        return await direct.GetByteArrayAsync("job/" + jobId, TestContext.Current.CancellationToken);
    }
}

/// <summary>One gateway on a real Kestrel socket.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private GatewayHost(GatewayFactory factory, Uri address)
    {
        Factory = factory;
        Address = address;
    }

    public GatewayFactory Factory { get; }

    public Uri Address { get; }

    /// <param name="redis">A Redis to share with other hosts; none when null.</param>
    public static GatewayHost Start(StandInServer upstream, IReadOnlyDictionary<string, string?> settings, TimeProvider? time = null, string? redis = null)
    {
        var factory = new GatewayFactory(upstream.BaseAddress, redis, settings, time);
        try
        {
            return new GatewayHost(factory, factory.StartOnKestrel());
        }
        catch
        {
            factory.Dispose();
            throw;
        }
    }

    public Task<WireConnection> ConnectAsync() => WireConnection.OpenAsync(Address);

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}

/// <summary>
/// The teams these tests configure. Meters are process-wide by name and other classes run gateways in this process
/// at the same time, so every team whose metrics a test reads has a name no other class uses.
/// </summary>
public static class DirectTeams
{
    /// <summary>Read only through <see cref="DirectHitGateways.Direct"/>, by the counting tests.</summary>
    public const string Counted = "direct-counted";
    public const string CountedKey = "direct-counted-key-000000001";

    /// <summary>Read only through <see cref="DirectHitGateways.Reference"/>, by the counting tests.</summary>
    public const string CountedReference = "direct-counted-ref";
    public const string CountedReferenceKey = "direct-counted-ref-key-00002";

    /// <summary>A ceiling of <see cref="LimitedPerSecond"/> requests per second.</summary>
    public const string Limited = "direct-limited";
    public const string LimitedKey = "direct-limited-key-000000003";
    public const int LimitedPerSecond = 3;

    /// <summary>A daily quota of <see cref="QuotaPerDay"/> upstream calls, so its answers carry the quota headers.</summary>
    public const string Quota = "direct-quota";
    public const string QuotaKey = "direct-quota-key-00000000004";
    public const int QuotaPerDay = 1000;

    /// <summary>May run jobs but not read them.</summary>
    public const string NoRead = "direct-noread";
    public const string NoReadKey = "direct-noread-key-0000000005";

    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        [$"Teams:{Counted}:Keys:k:Key"] = CountedKey,
        [$"Teams:{CountedReference}:Keys:k:Key"] = CountedReferenceKey,
        [$"Teams:{Limited}:Keys:k:Key"] = LimitedKey,
        [$"Teams:{Limited}:RequestsPerSecond"] = LimitedPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"Teams:{Quota}:Keys:k:Key"] = QuotaKey,
        [$"Teams:{Quota}:UpstreamCallsPerDay"] = QuotaPerDay.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"Teams:{NoRead}:Keys:k:Key"] = NoReadKey,
        [$"Teams:{NoRead}:Scopes:0"] = "jobs:run",

        // The latency ledger's counts move into their minute on every sample; often, so a test need not wait long.
        ["Operations:SampleInterval"] = "00:00:00.200",
    };
}
