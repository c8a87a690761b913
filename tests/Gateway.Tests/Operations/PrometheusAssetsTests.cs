using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Operations;

/// <summary>
/// The alert rules and the Grafana dashboard in <c>deploy/</c>: promtool's own checks and unit tests, then a real
/// Prometheus scraping a real gateway process, asked for every expression they use.
/// </summary>
public sealed partial class PrometheusAssetsTests
{
    private const string KeyA = "prom-team-a-gateway-key-1";
    private const string KeyB = "prom-team-b-gateway-key-2";

    private static readonly string Rules = RepositoryFiles.PathOf("deploy", "prometheus", "alerts.yml");
    private static readonly string RuleTests = RepositoryFiles.PathOf("deploy", "prometheus", "alerts.test.yml");
    private static readonly string Dashboard = RepositoryFiles.PathOf("deploy", "grafana", "gateway-dashboard.json");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AlertRules_PassPromtoolsCheck_AndTheirUnitTests()
    {
        var check = await ToolProcess.RunAsync("promtool", Path.GetDirectoryName(Rules)!, "check", "rules", Rules);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("SUCCESS", check.Output, StringComparison.Ordinal);

        var test = await ToolProcess.RunAsync("promtool", Path.GetDirectoryName(RuleTests)!, "test", "rules", RuleTests);
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Contains("SUCCESS", test.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAlertAsked_IsInTheRules()
    {
        var alerts = AlertNames().Order().ToArray();
        Assert.Equal(
            ["GatewayCreditBudgetExceeded", "GatewayCreditBudgetWarning", "GatewayHitRatioCollapsed", "GatewayKeyExpiresSoon", "GatewayRedisUnavailable",
             "GatewayReductoThrottling", "GatewayReplicaDown", "GatewayUpstreamCircuitOpen", "GatewayUpstreamJobPollBudgetHigh", "GatewayUpstreamRequestBudgetHigh"],
            alerts);
        var tested = File.ReadAllText(RuleTests);
        Assert.All(alerts, alert => Assert.Contains("alertname: " + alert, tested, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryExpression_InTheRulesAndTheDashboard_ReturnsDataFromARealGateway()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        // Created jobs finish at once, so one is booked to its creator's budget.
        await using var upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["Auth__ClientKeys__prom-a"] = KeyA,
            ["Teams__prom-a__CreditsPerMonth"] = "1000",
            ["Teams__prom-a__CreditsWarnPercent"] = "80",
            ["Teams__prom-a__ReuseCompletedJobs"] = "true",
            ["Teams__prom-b__Keys__current__Key"] = KeyB,
            ["Teams__prom-b__Keys__current__NotAfter"] = DateTimeOffset.UtcNow.AddDays(3).ToString("O"),
            ["Teams__prom-b__RequestsPerSecond"] = "2",
            ["Jobs__PendingFreshness"] = "00:00:30",
        });
        var address = await gateway.Listening(TimeSpan.FromSeconds(30));
        await DriveTrafficAsync(address);

        await using var prometheus = await PrometheusServer.StartAsync(address, Rules);
        var expressions = Expressions();
        var missing = expressions.ToHashSet();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (missing.Count > 0 && DateTime.UtcNow < deadline)
        {
            foreach (var expression in missing.ToArray())
            {
                if (await prometheus.HasDataAsync(expression))
                {
                    missing.Remove(expression);
                }
            }

            if (missing.Count > 0)
            {
                // Until the next scrape and rule evaluation, a second apart.
                await Task.Delay(250, Cancel);
            }
        }

        Assert.True(expressions.Count > 30, $"only {expressions.Count} expressions found");
        Assert.True(missing.Count == 0, "No data for:\n" + string.Join('\n', missing) + "\n\nPrometheus said:\n" + prometheus.Output);
    }

    /// <summary>
    /// What is asked of Prometheus: each recording rule's expression, each alert's without its threshold (with it, an
    /// alert that is not firing rightly has no data), each dashboard query with its variables filled in, and every
    /// metric and recorded series any of them names, on its own, so no name can hide behind an <c>or</c>.
    /// </summary>
    private static HashSet<string> Expressions()
    {
        var expressions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, expr) in RuleExpressions())
        {
            expressions.Add(key == "alert" ? Threshold().Replace(expr, "") : expr);
        }

        using var dashboard = JsonDocument.Parse(File.ReadAllText(Dashboard));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                expressions.Add(target.GetProperty("expr").GetString()!.Replace("$__rate_interval", "15s", StringComparison.Ordinal)
                    .Replace("$team", ".*", StringComparison.Ordinal));
            }
        }

        foreach (var name in expressions.SelectMany(static e => MetricName().Matches(e).Select(static m => m.Value)).ToArray())
        {
            expressions.Add(name);
        }

        return expressions;
    }

    private static IEnumerable<string> AlertNames() =>
        File.ReadLines(Rules).Select(static line => AlertLine().Match(line)).Where(static m => m.Success).Select(static m => m.Groups["name"].Value);

    /// <summary>The <c>expr</c> of every rule, with the kind of rule it belongs to; folded (<c>&gt;-</c>) values joined.</summary>
    private static IEnumerable<(string Kind, string Expr)> RuleExpressions()
    {
        var lines = File.ReadAllLines(Rules);
        var kind = "";
        for (var i = 0; i < lines.Length; i++)
        {
            if (RuleStart().Match(lines[i]) is { Success: true } start)
            {
                kind = start.Groups["kind"].Value;
            }

            if (ExprLine().Match(lines[i]) is not { Success: true } expr)
            {
                continue;
            }

            var value = expr.Groups["value"].Value.Trim();
            if (value is ">-" or ">" or "|")
            {
                var indent = expr.Groups["indent"].Value.Length;
                var folded = new List<string>();
                while (i + 1 < lines.Length && lines[i + 1].Length - lines[i + 1].TrimStart().Length > indent)
                {
                    folded.Add(lines[++i].Trim());
                }

                value = string.Join(' ', folded);
            }

            yield return (kind, value);
        }
    }

    private static async Task DriveTrafficAsync(Uri address)
    {
        using var teamA = new HttpClient { BaseAddress = address };
        teamA.DefaultRequestHeaders.Authorization = new("Bearer", KeyA);
        using var teamB = new HttpClient { BaseAddress = address };
        teamB.DefaultRequestHeaders.Authorization = new("Bearer", KeyB);
        var done = "done-" + Guid.NewGuid().ToString("N");
        var pending = "pending-" + Guid.NewGuid().ToString("N");
        foreach (var id in new[] { done, done, done, pending, pending })
        {
            using var _ = await teamA.GetAsync("/job/" + id, Cancel);
        }

        using (var created = await teamA.PostAsync("/parse_async", new StringContent("{\"input\":\"https://example.com/a.pdf\"}",
            System.Text.Encoding.UTF8, "application/json"), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            using var job = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Cancel));
            using var read = await teamA.GetAsync("/job/" + job.RootElement.GetProperty("job_id").GetString(), Cancel);
            Assert.Contains("\"Completed\"", await read.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        // The same creation again is given the finished job, and its credits are booked as saved.
        await Eventually.Until(async () =>
        {
            using var again = await teamA.PostAsync("/parse_async", new StringContent("{\"input\":\"https://example.com/a.pdf\"}",
                System.Text.Encoding.UTF8, "application/json"), Cancel);
            return again.Headers.Contains("Gateway-Reused-Job");
        });

        using (await teamB.GetAsync("/job/status-429-" + Guid.NewGuid().ToString("N"), Cancel))
        {
        }

        var burst = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => teamB.GetAsync("/job/failed-prom", Cancel)));
        Assert.Contains(burst, static response => response.StatusCode == HttpStatusCode.TooManyRequests);
        foreach (var response in burst)
        {
            response.Dispose();
        }
    }

    [GeneratedRegex(@"^\s*-\s*(?<kind>alert|record):\s*(?<name>\S+)")]
    private static partial Regex RuleStart();

    [GeneratedRegex(@"^\s*-\s*alert:\s*(?<name>\S+)")]
    private static partial Regex AlertLine();

    [GeneratedRegex(@"^(?<indent>\s*)expr:\s*(?<value>.*)$")]
    private static partial Regex ExprLine();

    [GeneratedRegex(@"\s*(==|!=|>=|<=|>|<)\s*-?[0-9.]+\s*$")]
    private static partial Regex Threshold();

    [GeneratedRegex(@"\b(gateway[_:][a-z0-9_:]+|up)\b")]
    private static partial Regex MetricName();

    /// <summary>Debian's Prometheus on a free loopback port, scraping the gateway every second and evaluating the rules as often.</summary>
    private sealed class PrometheusServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _directory;
        private readonly ConcurrentQueue<string> _output = new();
        private readonly HttpClient _client;

        private PrometheusServer(Process process, string directory, int port)
        {
            _process = process;
            _directory = directory;
            _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            _process.OutputDataReceived += (_, e) => Collect(e.Data);
            _process.ErrorDataReceived += (_, e) => Collect(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output => string.Join('\n', _output.TakeLast(40));

        public static async Task<PrometheusServer> StartAsync(Uri target, string rules)
        {
            for (var attempt = 0; ; attempt++)
            {
                var directory = Directory.CreateTempSubdirectory("gateway-prometheus-").FullName;
                var config = Path.Combine(directory, "prometheus.yml");
                await File.WriteAllTextAsync(config, $"""
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - {rules}
                    scrape_configs:
                      - job_name: gateway
                        static_configs:
                          - targets: ['{target.Authority}']
                    """, Cancel);
                var port = FreePort();
                var start = new ProcessStartInfo("prometheus")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                    WorkingDirectory = directory,
                };
                foreach (var argument in new[] { "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                    $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
                {
                    start.ArgumentList.Add(argument);
                }

                Process process;
                try
                {
                    process = Process.Start(start)!;
                }
                catch (System.ComponentModel.Win32Exception exception)
                {
                    throw new InvalidOperationException("prometheus not found on PATH; ./test.sh installs it (Debian/Ubuntu package 'prometheus').", exception);
                }

                var server = new PrometheusServer(process, directory, port);
                if (await server.ReadyAsync())
                {
                    return server;
                }

                var output = server.Output;
                await server.DisposeAsync();
                if (attempt == 4)
                {
                    throw new InvalidOperationException("Prometheus did not become ready:\n" + output);
                }
            }
        }

        /// <summary>Whether the expression's answer right now has at least one sample.</summary>
        public async Task<bool> HasDataAsync(string expression)
        {
            using var response = await _client.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(expression), Cancel);
            var body = await response.Content.ReadAsStringAsync(Cancel);
            Assert.True(response.IsSuccessStatusCode, $"Prometheus refused {expression}: {body}");
            using var answer = JsonDocument.Parse(body);
            var data = answer.RootElement.GetProperty("data");
            return data.GetProperty("resultType").GetString() == "scalar" || data.GetProperty("result").GetArrayLength() > 0;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
            _client.Dispose();
            Directory.Delete(_directory, recursive: true);
        }

        private async Task<bool> ReadyAsync()
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                try
                {
                    using var response = await _client.GetAsync("-/ready", Cancel);
                    if (response.IsSuccessStatusCode)
                    {
                        return true;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100, Cancel);
            }

            return false;
        }

        private void Collect(string? line)
        {
            if (line is not null)
            {
                _output.Enqueue(line);
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
