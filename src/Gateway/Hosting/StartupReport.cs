using Gateway.Caching;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>Says once, at start-up, which upstream and which cache this process uses.</summary>
internal sealed class StartupReport(
    IOptions<UpstreamOptions> upstream,
    CacheDescription cache,
    ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = upstream.Value;
        var hasKey = !string.IsNullOrWhiteSpace(options.ApiKey);
        logger.Target(options.BaseUrl, hasKey ? "set" : "missing");
        if (!hasKey)
        {
            logger.NoApiKey();
        }

        logger.CacheKind(cache.Text);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
