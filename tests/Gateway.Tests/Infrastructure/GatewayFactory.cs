using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway under test, configured only through settings (as an operator would), pointed at a real upstream
/// stand-in and, optionally, a real Redis. Every log line is collected so tests can assert on event ids and prove
/// that no secret is ever written.
/// </summary>
public sealed class GatewayFactory(
    Uri upstream,
    string? redis = null,
    IReadOnlyDictionary<string, string?>? settings = null,
    TimeProvider? time = null,
    string environment = "Testing") : WebApplicationFactory<Program>
{
    public const string ServerKey = "stand-in-key";

    /// <summary>Team A's gateway key, configured in plain text; every client of this factory sends it.</summary>
    public const string TeamAKey = "team-a-gateway-key-0001";

    /// <summary>Team B's gateway key, configured only as its SHA-256 hash.</summary>
    public const string TeamBKey = "team-b-gateway-key-0002";

    /// <summary>The operators' key, for tests that configure <c>Auth:AdminKey</c>.</summary>
    public const string AdminKey = "operators-admin-key-0003";

    /// <summary>A third team's key, for tests that add a team with settings of its own (a ceiling, a quota).</summary>
    public const string TeamCKey = "team-c-gateway-key-0003";

    private const string TeamBKeyHash = "sha256:b259fa78b47b9ebb6e83b4260d107a25484eb1f5eeabf489e74f95dc3af4b333";

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    /// <summary>A client that sends no gateway key, or the given one.</summary>
    public HttpClient CreateClient(string? gatewayKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = gatewayKey is null ? null : new("Bearer", gatewayKey);
        return client;
    }

    /// <summary>Starts the gateway on a real Kestrel socket on a free loopback port, for tests that send raw bytes.</summary>
    public Uri StartOnKestrel()
    {
        UseKestrel(0);
        StartServer();
        return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new("Bearer", TeamAKey);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.ConfigureAppConfiguration(configuration =>
        {
            var values = new Dictionary<string, string?>
            {
                ["Upstream:BaseUrl"] = upstream.ToString(),
                ["Upstream:ApiKey"] = ServerKey,
                ["ConnectionStrings:Redis"] = redis ?? string.Empty,
                ["Auth:ClientKeys:team-a"] = TeamAKey,
                ["Auth:ClientKeys:team-b"] = TeamBKeyHash,
                ["Cache:InstanceName"] = "test-" + Guid.NewGuid().ToString("N")[..12] + ":",
                ["Cache:RedisRetryInterval"] = "00:00:00.200",

                // The stand-in's built-in jobs (done-*, pending-*) were never created through a gateway, so the ledger
                // does not know them; most tests read them as every team did before ownership. Tests of the ledger
                // pass null here, which leaves the gateway's own default (Deny).
                ["Jobs:UnownedJobs"] = "Shared",

                // Generous, so a loaded test machine never trips the cache breaker by accident; outage tests lower it.
                ["Cache:RedisTimeout"] = "00:00:03",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            configuration.AddInMemoryCollection(values);
        });
        builder.ConfigureServices(services =>
        {
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
            if (time is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton(time);
            }
        });
    }
}
