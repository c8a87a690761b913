using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>What happens on SIGTERM: stop accepting, then let in-flight requests (coalesced waiters too) finish.</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>How long in-flight requests may take to finish after SIGTERM; past it they are cut off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

[OptionsValidator]
internal sealed partial class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>;

internal static class ShutdownExtensions
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<ShutdownOptions, ShutdownOptionsValidator>().BindSettings(ShutdownOptions.SectionName);
        services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>(static (host, shutdown) => host.ShutdownTimeout = shutdown.Value.DrainTimeout);
        return services;
    }
}
