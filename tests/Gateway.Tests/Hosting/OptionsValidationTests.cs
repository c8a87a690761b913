using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Gateway.Tests.Hosting;

/// <summary>Start-up as an operator sees it: the real process, configured by environment variables.</summary>
public sealed class OptionsValidationTests
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("Upstream__ApiKey", "", "Upstream:ApiKey")]
    [InlineData("Upstream__Timeout", "00:00:00", "Timeout")]
    [InlineData("Upstream__Timeout", "soon", "Timeout")]
    [InlineData("Upstream__ThrottledRetryAfter", "00:05:00", "ThrottledRetryAfter")]
    [InlineData("Upstream__BaseUrl", "ftp://example.com", "Upstream:BaseUrl")]
    [InlineData("Upstream__Retries", "9", "Retries")]
    [InlineData("Cache__MaxTtl", "00:00:00", "MaxTtl")]
    [InlineData("Cache__InstanceName", "has space", "InstanceName")]
    [InlineData("Cache__RedisTimeout", "00:05:00", "RedisTimeout")]
    [InlineData("Auth__ClientKeys__team-a", "", "Auth:ClientKeys")]
    [InlineData("Auth__ClientKeys__team-a", "short", "Auth:ClientKeys:team-a")]
    [InlineData("Auth__ClientKeys__team-a", "sha256:abc", "Auth:ClientKeys:team-a")]
    [InlineData("Jobs__MaxWait", "00:00:00", "MaxWait")]
    [InlineData("Jobs__WatchInterval", "00:00:05", "Jobs:WatchInterval")]
    [InlineData("Jobs__PendingFreshness", "00:00:31", "PendingFreshness")]
    [InlineData("Jobs__PendingFreshness", "-00:00:01", "PendingFreshness")]
    [InlineData("Jobs__RunningAnswerLease", "00:00:05.001", "RunningAnswerLease")]
    [InlineData("Jobs__RunningAnswerLease", "-00:00:00.001", "RunningAnswerLease")]
    [InlineData("Operations__SampleInterval", "00:00:00", "SampleInterval")]
    [InlineData("Webhooks__Secret", "short", "Secret")]
    [InlineData("Webhooks__SvixSecret", "not-a-svix-secret", "Webhooks:SvixSecret")]
    [InlineData("Teams__team-a__RequestsPerSecond", "-5", "Teams:team-a:RequestsPerSecond")]
    [InlineData("Kestrel__Limits__MaxRequestBodySize", "-1", "Kestrel:Limits:MaxRequestBodySize")]
    [InlineData("Server__InlineScheduling", "maybe", "Server:InlineScheduling")]
    [InlineData("ConnectionStrings__Redis", "localhost:6379,foo=bar", "ConnectionStrings:Redis")]
    [InlineData("Logging__LogLevel__Default", "Verbose", "Logging:LogLevel:Default")]
    [InlineData("Logging__Console__FormatterName", "xml", "Logging:Console:FormatterName")]
    [InlineData("ReverseProxy__Routes__parse__Match__Path", "/{unclosed", "route 'parse'")]
    public async Task BadSetting_StopsTheGateway_WithAMessageNamingIt(string variable, string value, string named)
    {
        var environment = new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = "http://127.0.0.1:9/",
            ["Upstream__ApiKey"] = "server-key",
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            [variable] = value,
        };
        await using var gateway = GatewayProcess.Start(environment);

        var exitCode = await gateway.WaitForExitAsync(s_exitTimeout);

        Assert.Equal(1, exitCode);
        Assert.Contains(named, gateway.Output, StringComparison.Ordinal);
        AssertNoStackTrace(gateway.Output);
    }

    [Fact]
    public async Task SeveralBadSettings_EachNamedOnItsOwnLine_NoStackTrace()
    {
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = "http://127.0.0.1:9/",
            ["Upstream__ApiKey"] = "server-key",
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["Upstream__Timeout"] = "soon",
            ["Upstream__Timout"] = "00:00:05",
            ["Cache__MaxTtl"] = "00:00:00",
            ["Teams__team-a__RequestsPerSecond"] = "-5",
            ["Kestrel__Limits__MaxRequestLineSize"] = "abc",
        });

        Assert.Equal(1, await gateway.WaitForExitAsync(s_exitTimeout));

        var output = gateway.Output.Split('\n');
        Assert.Contains(output, line => line.Contains("5 settings are invalid", StringComparison.Ordinal));
        foreach (var named in new[] { "Upstream:Timeout ", "Upstream:Timout ", "Cache:MaxTtl ", "Teams:team-a:RequestsPerSecond ", "Kestrel:Limits:MaxRequestLineSize " })
        {
            Assert.Single(output, line => line.TrimStart().StartsWith(named, StringComparison.Ordinal));
        }

        Assert.DoesNotContain("soon", gateway.Output, StringComparison.Ordinal);
        AssertNoStackTrace(gateway.Output);
    }

    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", output);
    }

    [Fact]
    public async Task NoGatewayKeys_AndNotExplicitlyAnonymous_StopsTheGateway()
    {
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = "http://127.0.0.1:9/",
            ["Upstream__ApiKey"] = "server-key",
        });

        Assert.NotEqual(0, await gateway.WaitForExitAsync(s_exitTimeout));
        Assert.Contains("Auth:ClientKeys", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("Auth:AllowAnonymous", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShippedAppSettings_InDevelopment_StartsWithoutAnyOverride()
    {
        await using var gateway = new ShippedConfigurationFactory();
        using var client = gateway.CreateClient();
        using var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The gateway exactly as the shipped appsettings.json configures it, in Development, nothing else.</summary>
    private sealed class ShippedConfigurationFactory : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseEnvironment("Development");
    }
}
