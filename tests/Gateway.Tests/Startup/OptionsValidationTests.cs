using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Startup;

public sealed class OptionsValidationTests
{
    private static readonly Uri s_upstream = new("http://127.0.0.1:9/");

    [Theory]
    [InlineData("Upstream:ApiKey", "", "Upstream:ApiKey")]
    [InlineData("Upstream:Timeout", "00:00:00", "Timeout")]
    [InlineData("Upstream:ThrottledRetryAfter", "00:05:00", "ThrottledRetryAfter")]
    [InlineData("Upstream:BaseUrl", "ftp://example.com", "Upstream:BaseUrl")]
    [InlineData("Cache:MaxTtl", "00:00:00", "MaxTtl")]
    [InlineData("Cache:InstanceName", "has space", "InstanceName")]
    [InlineData("Cache:RedisTimeout", "00:05:00", "RedisTimeout")]
    public void BadSetting_StopsStartUp_WithAMessageNamingIt(string key, string value, string named)
    {
        using var gateway = new GatewayFactory(s_upstream, settings: new Dictionary<string, string?> { [key] = value });
        var failure = Assert.ThrowsAny<Exception>(() => gateway.CreateClient());
        var validation = Assert.IsType<OptionsValidationException>(Unwrap(failure));
        Assert.Contains(named, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnparsableSetting_StopsStartUp()
    {
        using var gateway = new GatewayFactory(s_upstream, settings: new Dictionary<string, string?> { ["Upstream:Timeout"] = "soon" });
        var failure = Assert.ThrowsAny<Exception>(() => gateway.CreateClient());
        Assert.Contains("Timeout", Unwrap(failure).Message + failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShippedAppSettings_InDevelopment_StartsWithoutAnyOverride()
    {
        await using var gateway = new ShippedConfigurationFactory();
        using var client = gateway.CreateClient();
        using var response = await client.GetAsync("/swagger/v1/swagger.json", TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException or InvalidOperationException { InnerException: not null } && exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }

    /// <summary>The gateway exactly as `dotnet run` starts it: shipped appsettings.json, Development, nothing else.</summary>
    private sealed class ShippedConfigurationFactory : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder) =>
            builder.UseEnvironment("Development");
    }
}
