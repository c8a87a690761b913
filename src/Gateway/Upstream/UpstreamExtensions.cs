using Gateway.Hosting;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Upstream;

internal static class UpstreamExtensions
{
    public static IServiceCollection AddUpstream(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptionsWithValidateOnStart<UpstreamOptions, UpstreamOptionsValidator>()
            .BindSettings(UpstreamOptions.SectionName)
            .PostConfigure<IConfiguration>(static (options, configuration) =>
            {
                if (string.IsNullOrWhiteSpace(options.ApiKey))
                {
                    options.ApiKey = configuration[UpstreamOptions.ApiKeyEnvironmentVariable];
                }
            });
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsEnvironmentValidator>();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamResilienceValidator>();

        services.AddHttpClient<UpstreamClient>(static (provider, client) =>
            {
                var options = provider.GetRequiredService<IOptions<UpstreamOptions>>().Value;
                var baseUrl = options.BaseUrl.ToString();
                client.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");

                // UpstreamClient enforces Upstream:Timeout itself so it can tell a timeout from a caller leaving.
                client.Timeout = Timeout.InfiniteTimeSpan;
                if (!string.IsNullOrWhiteSpace(options.ApiKey))
                {
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
                }
            })
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                // The upstream is one fixed host: no ambient proxy, no redirects that could carry the key elsewhere,
                // no cookies shared between callers, and bodies kept exactly as sent.
                UseProxy = false,
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddUpstreamResilience();
        services.AddSingleton<UpstreamCircuit>();
        // Completion webhooks' reads get a reserved slot only where the endpoint is on; elsewhere it would sit idle.
        services.AddSingleton(static provider => new UpstreamBudget(
            provider.GetRequiredService<IOptions<UpstreamOptions>>(), provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<IOptions<Webhooks.WebhookOptions>>().Value.Enabled));
        return services;
    }
}
