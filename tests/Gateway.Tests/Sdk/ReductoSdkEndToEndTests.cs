using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Sdk;

/// <summary>
/// The official TypeScript SDK (reductoai 0.16.0, tests/sdk-e2e) against the real gateway process and the stand-in:
/// a team runs the whole workflow (upload, async parse, poll, cancel, list) holding only its gateway key, and a
/// second team cannot touch the first one's work. The gateway runs with its own default for unowned work (Deny).
/// </summary>
public sealed class ReductoSdkEndToEndTests : IAsyncLifetime
{
    private const string ServerKeyHeader = "Bearer " + GatewayFactory.ServerKey;
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    private StandInServer _upstream = null!;
    private GatewayProcess _gateway = null!;
    private Uri _address = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await SdkWorkspace.EnsureInstalledAsync(Cancel);

        // Short enough to keep the test quick, long enough that the SDK sees Pending before Completed.
        _upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.FromSeconds(1) }, cancellationToken: Cancel);
        _gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = _upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["Auth__ClientKeys__team-b"] = GatewayFactory.TeamBKey,
            ["Jobs__UnownedJobs"] = "Deny",
        });
        _address = await _gateway.Listening(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        // Null when InitializeAsync stopped early (no Node, no gateway): dispose only what was started.
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }

    [Fact]
    public async Task TeamRunsTheWholeWorkflow_WithItsGatewayKeyAlone()
    {
        var (run, seen) = await RunScriptAsync("workflow", GatewayFactory.TeamAKey);

        Assert.True(run.ExitCode == 0, "workflow.mjs failed: " + run + "\n--- gateway ---\n" + _gateway.Output);
        Assert.Equal("Completed", seen.GetProperty("finalStatus").GetString());
        var jobId = seen.GetProperty("jobId").GetString();
        var cancelled = seen.GetProperty("cancelledJobId").GetString();

        var requests = _upstream.Requests.All;
        var calls = requests.Select(r => r.Method + " " + r.Path).ToList();
        Assert.Contains("POST /upload", calls);
        Assert.True(_upstream.Requests.UploadedBytes > 0, "the multipart body never reached the stand-in");
        Assert.Equal(2, calls.Count(c => c == "POST /parse_async"));
        Assert.Contains("GET /job/" + jobId, calls);
        Assert.Contains("POST /cancel/" + cancelled, calls);
        Assert.Contains("GET /jobs", calls);

        // The one property that makes the gateway worth having: the vendor key travels, the team key never does.
        Assert.All(requests, r => Assert.Equal(ServerKeyHeader, r.Headers.GetValueOrDefault("Authorization")));
        Assert.DoesNotContain(requests, r => r.Headers.Values.Any(v => v.Contains(GatewayFactory.TeamAKey, StringComparison.Ordinal)));

        // Recorded, not asserted: whether the SDK's telemetry headers reach Reducto is a forwarding policy choice.
        var stainless = requests.SelectMany(r => r.Headers.Keys)
            .Where(h => h.StartsWith("x-stainless-", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            "stand-in saw: " + string.Join(", ", calls) + "\nx-stainless-* headers forwarded: " +
            (stainless.Count == 0 ? "none" : string.Join(", ", stainless)));
    }

    [Fact]
    public async Task TheSdkLongPolls_ThroughPerRequestHeaders_InOneCall()
    {
        var (run, seen) = await RunScriptAsync("wait", GatewayFactory.TeamAKey);

        Assert.True(run.ExitCode == 0, "workflow.mjs MODE=wait failed: " + run + "\n--- gateway ---\n" + _gateway.Output);
        Assert.Equal("Completed", seen.GetProperty("finalStatus").GetString());
        Assert.Equal("wait=20", seen.GetProperty("preferenceApplied").GetString());

        // One call from the SDK; the gateway's watcher polled the job a few times on its behalf.
        var jobId = seen.GetProperty("jobId").GetString()!;
        var reads = _upstream.Requests.All.Count(r => r.Method == "GET" && r.Path == "/job/" + jobId);
        Assert.InRange(reads, 2, 10);
    }

    [Fact]
    public async Task AnImpatientSdk_RetryingASlowCreation_GetsTheOneJobItPaidFor()
    {
        var (run, seen) = await RunScriptAsync("slowcreate", GatewayFactory.TeamAKey);

        Assert.True(run.ExitCode == 0, "workflow.mjs MODE=slowcreate failed: " + run + "\n--- gateway ---\n" + _gateway.Output);
        var creation = Assert.Single(_upstream.Creations.All);
        Assert.Equal(creation.Id, seen.GetProperty("jobId").GetString());
        Assert.Equal("true", seen.GetProperty("replayed").GetString());

        // The first attempt timed out at 600 ms: the answer came to a retry, which carried the attempt number.
        var attempts = _upstream.Requests.All.Count(static r => r.Path == "/parse_async");
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task WrongGatewayKey_RaisesAuthenticationError_AndNothingReachesReducto()
    {
        var (run, seen) = await RunScriptAsync("badkey", "not-a-gateway-key");

        Assert.True(run.ExitCode == 0, "workflow.mjs MODE=badkey failed: " + run);
        Assert.Equal("AuthenticationError", seen.GetProperty("error").GetString());
        Assert.Equal(0, _upstream.Requests.Count);
    }

    [Fact]
    public async Task AnotherTeam_GetsTheSdksNotFoundError_ForTheFirstTeamsJobAndFile_AndReachesNothing()
    {
        var (run, seen) = await RunScriptAsync("otherteam", GatewayFactory.TeamAKey, GatewayFactory.TeamBKey);

        Assert.True(run.ExitCode == 0, "workflow.mjs MODE=otherteam failed: " + run + "\n--- gateway ---\n" + _gateway.Output);
        var jobId = seen.GetProperty("jobId").GetString()!;
        var refused = seen.GetProperty("refused");
        foreach (var attempt in new[] { "get", "cancel", "parseFile", "parseJob", "getUnknown" })
        {
            var refusal = refused.GetProperty(attempt);
            Assert.True(refusal.GetProperty("notFound").GetBoolean(), attempt + ": " + refusal);
            Assert.Equal(404, refusal.GetProperty("status").GetInt32());
        }

        // A job that is A's looks to B exactly like one that does not exist; a refused reference names why.
        Assert.Equal(refused.GetProperty("getUnknown").GetProperty("body").GetString(), refused.GetProperty("get").GetProperty("body").GetString());
        Assert.Contains("not found", refused.GetProperty("get").GetProperty("body").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("urn:gateway:problem:not-owned", refused.GetProperty("cancel").GetProperty("type").GetString());
        Assert.Equal("urn:gateway:problem:not-owned", refused.GetProperty("parseFile").GetProperty("type").GetString());
        Assert.Equal("urn:gateway:problem:not-owned", refused.GetProperty("parseJob").GetProperty("type").GetString());
        Assert.Equal("Pending", seen.GetProperty("firstStatus").GetString());
        Assert.NotEqual(JsonValueKind.Null, seen.GetProperty("ownStatusAfter").ValueKind);

        // None of B's five calls reached the stand-in: nothing arrived while B made them (A was idle then), and no
        // forwarded request carries B's mark, which A's forwarded creation shows is passed on.
        var requests = _upstream.Requests.All;
        var from = DateTimeOffset.FromUnixTimeMilliseconds(seen.GetProperty("teamBFrom").GetInt64());
        var to = DateTimeOffset.FromUnixTimeMilliseconds(seen.GetProperty("teamBTo").GetInt64());
        Assert.DoesNotContain(requests, r => r.At >= from && r.At <= to);
        Assert.DoesNotContain(requests, r => r.Headers.GetValueOrDefault("x-e2e-client") == "team-b");
        Assert.Contains(requests, r => r.Headers.GetValueOrDefault("x-e2e-client") == "team-a" && r.Path == "/parse_async");
        Assert.Contains(requests, r => r.Path == "/job/" + jobId);
        Assert.Equal(1, _upstream.Creations.CountFor("/parse_async"));
        Assert.Equal(1, _upstream.Creations.CountFor("/upload"));
        Assert.Equal(0, _upstream.Creations.Cancels);
        Assert.DoesNotContain(requests, r => r.Path.StartsWith("/cancel/", StringComparison.Ordinal));
    }

    private async Task<(ProcessResult Run, JsonElement Seen)> RunScriptAsync(string mode, string key, string? keyB = null)
    {
        var run = await SdkWorkspace.RunAsync("node", ["workflow.mjs"], new Dictionary<string, string?>
        {
            ["GATEWAY_URL"] = _address.ToString().TrimEnd('/'),
            ["GATEWAY_KEY"] = key,
            ["GATEWAY_KEY_B"] = keyB,
            ["MODE"] = mode,

            // The SDK falls back to these; a developer's own settings must not leak into the run.
            ["REDUCTO_API_KEY"] = null,
            ["REDUCTO_BASE_URL"] = null,
        }, ScriptTimeout, Cancel);

        // The script's verdict is its last line; a crash prints none, and the exit-code assertion then shows why.
        var line = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return (run, ParseOrEmpty(line));
    }

    private static JsonElement ParseOrEmpty(string? line)
    {
        try
        {
            using var json = JsonDocument.Parse(line ?? "{}");
            return json.RootElement.Clone();
        }
        catch (JsonException)
        {
            using var empty = JsonDocument.Parse("{}");
            return empty.RootElement.Clone();
        }
    }
}
