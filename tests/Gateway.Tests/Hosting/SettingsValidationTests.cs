using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Every setting the gateway reads, out of range and malformed: the start-up fails with a line naming that setting.
/// In-process for speed; <see cref="OptionsValidationTests"/> checks what the real process prints and its exit code.
/// </summary>
public sealed class SettingsValidationTests
{
    private const string Malformed = "not-a-value";

    [Theory]
    [InlineData("Upstream:BaseUrl", "ftp://example.com", "Upstream:BaseUrl")]
    [InlineData("Upstream:BaseUrl", "relative/path", "Upstream:BaseUrl")]
    [InlineData("Upstream:Timeout", "00:00:00", "Upstream:Timeout")]
    [InlineData("Upstream:Timeout", Malformed, "Upstream:Timeout")]
    [InlineData("Upstream:ThrottledRetryAfter", "00:05:00", "Upstream:ThrottledRetryAfter")]
    [InlineData("Upstream:ThrottledRetryAfter", Malformed, "Upstream:ThrottledRetryAfter")]
    [InlineData("Upstream:MaxResponseBytes", "10", "Upstream:MaxResponseBytes")]
    [InlineData("Upstream:MaxResponseBytes", Malformed, "Upstream:MaxResponseBytes")]
    [InlineData("Upstream:Retries", "9", "Upstream:Retries")]
    [InlineData("Upstream:Retries", Malformed, "Upstream:Retries")]
    [InlineData("Upstream:AttemptTimeout", "00:00:00.005", "Upstream:AttemptTimeout")]
    [InlineData("Upstream:AttemptTimeout", Malformed, "Upstream:AttemptTimeout")]
    [InlineData("Upstream:CircuitBreakDuration", "00:00:00.100", "Upstream:CircuitBreakDuration")]
    [InlineData("Upstream:CircuitBreakDuration", Malformed, "Upstream:CircuitBreakDuration")]
    [InlineData("Upstream:CircuitMinimumThroughput", "1", "Upstream:CircuitMinimumThroughput")]
    [InlineData("Upstream:CircuitMinimumThroughput", Malformed, "Upstream:CircuitMinimumThroughput")]
    [InlineData("Upstream:CircuitFailureRatio", "0", "Upstream:CircuitFailureRatio")]
    [InlineData("Upstream:CircuitFailureRatio", Malformed, "Upstream:CircuitFailureRatio")]
    [InlineData("Upstream:CircuitSamplingDuration", "00:00:00.100", "Upstream:CircuitSamplingDuration")]
    [InlineData("Upstream:CircuitSamplingDuration", Malformed, "Upstream:CircuitSamplingDuration")]
    [InlineData("Upstream:JobPollsPerSecond", "1", "Upstream:JobPollsPerSecond")]
    [InlineData("Upstream:JobPollsPerSecond", Malformed, "Upstream:JobPollsPerSecond")]
    [InlineData("Upstream:RequestsPerSecond", "-5", "Upstream:RequestsPerSecond")]
    [InlineData("Upstream:RequestsPerSecond", Malformed, "Upstream:RequestsPerSecond")]
    [InlineData("Upstream:BudgetWait", "00:05:00", "Upstream:BudgetWait")]
    [InlineData("Upstream:BudgetWait", Malformed, "Upstream:BudgetWait")]
    [InlineData("Upstream:Timout", "00:00:05", "Upstream:Timout")]
    [InlineData("Auth:ClientKeys:team-a", "short", "Auth:ClientKeys:team-a")]
    [InlineData("Auth:ClientKeys:team-a", "sha256:abc", "Auth:ClientKeys:team-a")]
    [InlineData("Auth:ClientKeys:bad team", "a-long-enough-team-key-01", "Auth:ClientKeys:bad team")]
    [InlineData("Auth:AdminKey", "short", "Auth:AdminKey")]
    [InlineData("Auth:AdminKey", "sha256:zz", "Auth:AdminKey")]
    [InlineData("Auth:AllowAnonymous", Malformed, "Auth:AllowAnonymous")]
    [InlineData("Teams:team-a:RequestsPerSecond", "-5", "Teams:team-a:RequestsPerSecond")]
    [InlineData("Teams:team-a:RequestsPerSecond", "0", "Teams:team-a:RequestsPerSecond")]
    [InlineData("Teams:team-a:RequestsPerSecond", Malformed, "Teams:team-a:RequestsPerSecond")]
    [InlineData("Teams:no-such-team:RequestsPerSecond", "5", "Teams:no-such-team")]
    [InlineData("Teams:team-a:RequestsPerSecnd", "5", "Teams:team-a:RequestsPerSecnd")]
    [InlineData("Teams:team-a:UpstreamCallsPerDay", "0", "Teams:team-a:UpstreamCallsPerDay")]
    [InlineData("Teams:team-a:UpstreamCallsPerDay", Malformed, "Teams:team-a:UpstreamCallsPerDay")]
    [InlineData("Teams:team-a:Keys:k1:Key", "short", "Teams:team-a:Keys:k1:Key")]
    [InlineData("Teams:team-a:Keys:k1:Key", "sha256:xyz", "Teams:team-a:Keys:k1:Key")]
    [InlineData("Teams:team-a:Keys:bad id:Key", "a-long-enough-team-key-01", "Teams:team-a:Keys:bad id")]
    [InlineData("Teams:team-a:Keys:k1:NotAfter", Malformed, "Teams:team-a:Keys:k1:NotAfter")]
    [InlineData("Teams:team-a:Keys:k1:Disabled", Malformed, "Teams:team-a:Keys:k1:Disabled")]
    [InlineData("Teams:team-a:Keys:k1:Kee", "a-long-enough-team-key-01", "Teams:team-a:Keys:k1:Kee")]
    [InlineData("Teams:team-a:Scopes:0", "jobs:write", "Teams:team-a:Scopes")]
    [InlineData("Auth:ExpiryWarning", "400.00:00:00", "Auth:ExpiryWarning")]
    [InlineData("Auth:ExpiryWarning", Malformed, "Auth:ExpiryWarning")]
    [InlineData("ReverseProxy:Routes:parse:Metadata:Scope", "everything", "ReverseProxy:Routes:parse:Metadata:Scope")]
    [InlineData("ReverseProxy:Routes:extra:Match:Path", "/extra", "ReverseProxy:Routes:extra:Metadata:Scope")]
    [InlineData("Jobs:PendingFreshness", "00:00:31", "Jobs:PendingFreshness")]
    [InlineData("Jobs:PendingFreshness", Malformed, "Jobs:PendingFreshness")]
    [InlineData("Jobs:RunningAnswerLease", Malformed, "Jobs:RunningAnswerLease")]
    [InlineData("Jobs:MaxWait", "00:00:00", "Jobs:MaxWait")]
    [InlineData("Jobs:MaxWait", Malformed, "Jobs:MaxWait")]
    [InlineData("Jobs:WatchInterval", "00:00:00.001", "Jobs:WatchInterval")]
    [InlineData("Jobs:WatchInterval", "00:00:05", "Jobs:WatchInterval")]
    [InlineData("Jobs:WatchInterval", Malformed, "Jobs:WatchInterval")]
    [InlineData("Jobs:MaxWatchInterval", "00:10:00", "Jobs:MaxWatchInterval")]
    [InlineData("Jobs:MaxWatchInterval", Malformed, "Jobs:MaxWatchInterval")]
    [InlineData("Webhooks:Secret", "short", "Webhooks:Secret")]
    [InlineData("Webhooks:SvixSecret", "not-a-svix-secret", "Webhooks:SvixSecret")]
    [InlineData("Webhooks:SvixTolerance", "00:00:01", "Webhooks:SvixTolerance")]
    [InlineData("Webhooks:SvixTolerance", Malformed, "Webhooks:SvixTolerance")]
    [InlineData("Shutdown:DrainTimeout", "01:00:00", "Shutdown:DrainTimeout")]
    [InlineData("Shutdown:DrainTimeout", Malformed, "Shutdown:DrainTimeout")]
    [InlineData("Server:InlineScheduling", Malformed, "Server:InlineScheduling")]
    [InlineData("Server:InlineSchedulng", "true", "Server:InlineSchedulng")]
    [InlineData("Server:PipeBlockBytes", "1024", "PipeBlockBytes")]
    [InlineData("Server:PipeBlockBytes", "4194304", "PipeBlockBytes")]
    [InlineData("Server:PipeBlockBytes", Malformed, "Server:PipeBlockBytes")]
    [InlineData("Kestrel:Limits:MaxRequestBodySize", "-1", "Kestrel:Limits:MaxRequestBodySize")]
    [InlineData("Kestrel:Limits:MaxRequestBodySize", Malformed, "Kestrel:Limits:MaxRequestBodySize")]
    [InlineData("Kestrel:Limits:MaxRequestLineSize", "0", "Kestrel:Limits:MaxRequestLineSize")]
    [InlineData("Kestrel:Limits:MaxRequestLineSize", Malformed, "Kestrel:Limits:MaxRequestLineSize")]
    [InlineData("Kestrel:Limits:MaxRequestHeadersTotalSize", "-1", "Kestrel:Limits:MaxRequestHeadersTotalSize")]
    [InlineData("Kestrel:Limits:MaxRequestHeadersTotalSize", Malformed, "Kestrel:Limits:MaxRequestHeadersTotalSize")]
    [InlineData("Kestrel:Limits:MaxRequestHeaderCount", "0", "Kestrel:Limits:MaxRequestHeaderCount")]
    [InlineData("Kestrel:Limits:MaxRequestHeaderCount", Malformed, "Kestrel:Limits:MaxRequestHeaderCount")]
    [InlineData("Kestrel:Limits:MaxBodySize", "10", "Kestrel:Limits:MaxBodySize")]
    [InlineData("ConnectionStrings:Redis", "localhost:6379,foo=bar", "ConnectionStrings:Redis")]
    [InlineData("ConnectionStrings:Redis", ",,,", "ConnectionStrings:Redis")]
    [InlineData("Cache:MaxTtl", "00:00:00", "Cache:MaxTtl")]
    [InlineData("Cache:MaxTtl", Malformed, "Cache:MaxTtl")]
    [InlineData("Cache:JobRetention", "00:00:00", "Cache:JobRetention")]
    [InlineData("Cache:JobRetention", Malformed, "Cache:JobRetention")]
    [InlineData("Cache:UrlExpiryMargin", "02:00:00", "Cache:UrlExpiryMargin")]
    [InlineData("Cache:UrlExpiryMargin", Malformed, "Cache:UrlExpiryMargin")]
    [InlineData("Cache:UnparsedUrlTtl", "02:00:00", "Cache:UnparsedUrlTtl")]
    [InlineData("Cache:UnparsedUrlTtl", Malformed, "Cache:UnparsedUrlTtl")]
    [InlineData("Cache:InProcessSizeLimitBytes", "1024", "Cache:InProcessSizeLimitBytes")]
    [InlineData("Cache:InProcessSizeLimitBytes", Malformed, "Cache:InProcessSizeLimitBytes")]
    [InlineData("Cache:RedisTimeout", "00:05:00", "Cache:RedisTimeout")]
    [InlineData("Cache:RedisTimeout", Malformed, "Cache:RedisTimeout")]
    [InlineData("Cache:RedisRetryInterval", "01:00:00", "Cache:RedisRetryInterval")]
    [InlineData("Cache:RedisRetryInterval", Malformed, "Cache:RedisRetryInterval")]
    [InlineData("Cache:InstanceName", "has space", "Cache:InstanceName")]
    [InlineData("Cache:RedisTimout", "00:00:01", "Cache:RedisTimout")]
    public async Task BadSetting_FailsTheStart_NamingTheSetting(string key, string value, string named)
    {
        await using var gateway = new GatewayFactory(new Uri("http://127.0.0.1:9/"), settings: new Dictionary<string, string?> { [key] = value });

        var failure = Assert.ThrowsAny<Exception>(() => gateway.Services);

        var lines = StartupCheck.Describe(failure);
        Assert.True(lines is not null, "not explained as a settings failure: " + failure);
        Assert.True(lines.Any(line => line.Contains(named, StringComparison.Ordinal)), string.Join('\n', lines));
    }

    [Theory]
    [InlineData("Logging:LogLevel:Default", "Verbose", "Logging:LogLevel:Default")]
    [InlineData("Logging:LogLevel:Gateway.Jobs", "loud", "Logging:LogLevel:Gateway.Jobs")]
    [InlineData("Logging:Console:LogLevel:Default", "3x", "Logging:Console:LogLevel:Default")]
    [InlineData("Logging:Console:FormatterName", "xml", "Logging:Console:FormatterName")]
    public void BadLoggingSetting_IsNamed(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new(key, value), new("Logging:LogLevel:Microsoft.AspNetCore", "Warning")]).Build();

        var failure = Assert.Single(StartupCheck.CheckLogging(configuration));

        Assert.Contains(named, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AServiceTheContainerCannotBuild_IsABug_NotABadSetting()
    {
        // The same exception type the binder throws, from the container: its stack trace must not be hidden.
        var bug = new InvalidOperationException("Unable to resolve service for type 'X' while attempting to activate 'Y'.")
        {
            Source = "Microsoft.Extensions.DependencyInjection",
        };
        var setting = new InvalidOperationException("Failed to convert configuration value 'x' at 'Upstream:Timeout' to type 'System.TimeSpan'.")
        {
            Source = "Microsoft.Extensions.Configuration.Binder",
        };

        Assert.Null(StartupCheck.Describe(bug));
        Assert.Null(StartupCheck.Describe(new AggregateException(setting, bug)));
        Assert.Equal(["Failed to convert configuration value 'x' at 'Upstream:Timeout' to type 'System.TimeSpan'."], StartupCheck.Describe(setting));
    }

    [Fact]
    public void ShippedLoggingSettings_AreGood()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();

        Assert.Empty(StartupCheck.CheckLogging(configuration));
    }
}
