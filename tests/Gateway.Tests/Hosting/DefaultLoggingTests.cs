using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Reducto.StandIn;

namespace Gateway.Tests.Hosting;

/// <summary>
/// What an operator reads at the shipped log levels, from a real gateway process: nothing for hits and successful
/// upstream calls, one line per failure carrying the team and the job id, never a key; and the same as one JSON
/// object per line when <c>Logging:Console:FormatterName</c> is <c>json</c>.
/// </summary>
public sealed class DefaultLoggingTests : IAsyncLifetime
{
    private const int Reads = 1000;
    private StandInServer _upstream = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _upstream = await StandInServer.StartAsync(cancellationToken: Cancel);

    public async ValueTask DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task ThousandHitsAndThousandSuccessfulMisses_WriteNoLogLine_AFailureWritesOne()
    {
        await using var gateway = Start(formatter: null);
        using var client = await ClientForAsync(gateway);
        await SettleAsync(gateway, client);
        await ReadAsync(client, "done-2k");

        var before = await LinesUntilFailureAsync(gateway, client, async () =>
        {
            for (var i = 0; i < Reads; i++)
            {
                await ReadAsync(client, "done-2k");
            }
        });
        Assert.True(before.Count == 1, "hits logged:\n" + string.Join('\n', before));

        var misses = await LinesUntilFailureAsync(gateway, client, async () =>
        {
            // Distinct ids, so every read is an upstream call: half finished jobs (stored), half running ones.
            var run = Guid.NewGuid().ToString("N")[..8];
            for (var i = 0; i < Reads; i++)
            {
                await ReadAsync(client, (i % 2 == 0 ? "failed-" : "pending-") + run + i);
            }
        });
        Assert.True(misses.Count == 1, "misses logged:\n" + string.Join('\n', misses));
        Assert.True(_upstream.Requests.Count >= Reads, $"only {_upstream.Requests.Count} upstream calls");

        // The one line of the failure names the team and the job, and no key.
        var failure = misses[0];
        Assert.True(failure.Contains("Team:team-a", StringComparison.Ordinal), failure);
        Assert.Matches("status-429-[0-9a-f]{32}", failure);
        Assert.DoesNotContain(GatewayFactory.TeamAKey, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFactory.ServerKey, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonConsoleFormat_OneObjectPerLine_WithTeamAndJobIdAsProperties_AndNoKey()
    {
        await using var gateway = Start(formatter: "json");
        using var client = await ClientForAsync(gateway);
        await SettleAsync(gateway, client);

        var lines = await LinesUntilFailureAsync(gateway, client, () => ReadAsync(client, "done-2k"));

        using var entry = JsonDocument.Parse(Assert.Single(lines));
        var root = entry.RootElement;
        Assert.Equal(UpstreamLog.ThrottledId, root.GetProperty("EventId").GetInt32());
        Assert.Equal("Warning", root.GetProperty("LogLevel").GetString());
        Assert.Matches("^status-429-[0-9a-f]{32}$", root.GetProperty("State").GetProperty("JobId").GetString());
        Assert.Contains(root.GetProperty("Scopes").EnumerateArray(),
            scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("Team", out var team) && team.GetString() == "team-a");

        // Every line the process wrote is one JSON object, start-up included.
        Assert.All(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonDocument.Parse(line).Dispose());
        Assert.DoesNotContain(GatewayFactory.TeamAKey, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayFactory.ServerKey, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevelopmentStart_CreatesNoDataProtectionKeys_AndSaysNothingAboutThem()
    {
        await using var gateway = new GatewayFactory(_upstream.BaseAddress, environment: "Development");
        using var client = gateway.CreateClient();
        using var ready = await client.GetAsync("/readyz", Cancel);

        // YARP brings data protection along; nothing warms its key ring and its keys would live in memory only.
        Assert.DoesNotContain(gateway.Services.GetServices<IHostedService>(),
            service => service.GetType().Namespace?.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) == true);
        Assert.IsType<EphemeralDataProtectionProvider>(gateway.Services.GetRequiredService<IDataProtectionProvider>());
        Assert.DoesNotContain(gateway.Logs.GetSnapshot(), record => record.Category?.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) == true);
    }

    private GatewayProcess Start(string? formatter)
    {
        var environment = new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = _upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
        };
        if (formatter is not null)
        {
            environment["Logging__Console__FormatterName"] = formatter;
        }

        return GatewayProcess.Start(environment);
    }

    /// <summary>
    /// The lines the process writes while <paramref name="work"/> runs, up to and including the line of a failure
    /// caused right after it (an upstream 429). The console logger writes in order, so once the failure's line is
    /// out, every line the work caused is out too: the failure is what proves the silence before it.
    /// </summary>
    private static async Task<IReadOnlyList<string>> LinesUntilFailureAsync(GatewayProcess gateway, HttpClient client, Func<Task> work)
    {
        var start = gateway.Output.Split('\n').Length;
        await work();
        var marker = "status-429-" + Guid.NewGuid().ToString("N");
        using (var throttled = await client.GetAsync("/job/" + marker, Cancel))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        }

        await Eventually.Until(() => gateway.Output.Contains(marker, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the failure's log line");
        var lines = gateway.Output.Split('\n');
        var end = Array.FindIndex(lines, start, line => line.Contains(marker, StringComparison.Ordinal));
        return lines[start..(end + 1)];
    }

    // The start-up lines that follow "Now listening" are out once a first failure's line is.
    private static async Task SettleAsync(GatewayProcess gateway, HttpClient client) => await LinesUntilFailureAsync(gateway, client, () => Task.CompletedTask);

    private static async Task ReadAsync(HttpClient client, string jobId)
    {
        using var response = await client.GetAsync("/job/" + jobId, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<HttpClient> ClientForAsync(GatewayProcess gateway)
    {
        var client = new HttpClient { BaseAddress = await gateway.Listening(TimeSpan.FromSeconds(30)) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);
        return client;
    }
}
