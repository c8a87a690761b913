using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

internal static class ServerLimitsExtensions
{
    public const string LimitsSection = "Kestrel:Limits";

    /// <summary>
    /// Binds <c>Kestrel:Limits</c> (header sizes, URL length, body size). Kestrel reads only endpoints and certificates
    /// from its section by itself; without this the limits in appsettings.json would silently not apply. Also
    /// <c>Server:InlineScheduling</c>: on by default since direct hits (src/Gateway/Direct), which it speeds up at every size (bench/README.md).
    /// </summary>
    public static IServiceCollection AddServerLimits(this IServiceCollection services)
    {
        // Kestrel's options are resolved while the host is built, before validation can gather every failure: they
        // take what binds, and the validator of ServerOptions (resolved only when the settings are checked) reports
        // the rest together with every other bad setting.
        services.AddOptions<KestrelServerOptions>()
            .Configure<IConfiguration>(static (kestrel, configuration) => BindLimits(configuration, kestrel.Limits, failures: null));
        services.AddOptionsWithValidateOnStart<ServerOptions, ServerOptionsValidator>().BindSettings(ServerOptions.SectionName);
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerLimitsValidator>();
        services.AddOptions<SocketTransportOptions>()
            .Configure<IConfiguration>(static (sockets, configuration) =>
                sockets.UnsafePreferInlineScheduling = !bool.TryParse(configuration[ServerOptions.InlineSchedulingKey], out var inline) || inline);
        // Last registration wins: Kestrel's own factory was registered when the host chose Kestrel.
        services.AddSingleton<IMemoryPoolFactory<byte>, PipeBlockPoolFactory>();
        return services;
    }

    public static void BindLimits(IConfiguration configuration, KestrelServerLimits limits, List<string>? failures) =>
        SettingsBinding.Bind(configuration, LimitsSection, limits, failures);
}

/// <summary>Settings of the server itself that are not Kestrel's own.</summary>
public sealed class ServerOptions
{
    public const string SectionName = "Server";

    public const string InlineSchedulingKey = SectionName + ":" + nameof(InlineScheduling);

    /// <summary>Run requests on the socket threads instead of the thread pool (see the README before turning it on).</summary>
    public bool InlineScheduling { get; set; } = true;

    /// <summary>
    /// Answer plain cache hits on the socket below Kestrel's HTTP layer (src/Gateway/Direct): one <c>sendmsg</c> of
    /// the head and the stored body, no pipe copy. False sends every request through Kestrel.
    /// </summary>
    public bool DirectHits { get; set; } = true;

    public const int MinPipeBlockBytes = 4096;

    public const int MaxPipeBlockBytes = 1024 * 1024;

    /// <summary>
    /// Size of the blocks Kestrel's connection pipes are made of (Kestrel's own are 4 KiB): a response body is copied
    /// into them and sent one block per iovec, so larger blocks mean fewer of them per large hit.
    /// </summary>
    [Range(MinPipeBlockBytes, MaxPipeBlockBytes)]
    public int PipeBlockBytes { get; set; } = 64 * 1024;
}

[OptionsValidator]
internal sealed partial class ServerOptionsValidator : IValidateOptions<ServerOptions>;

internal sealed class ServerLimitsValidator(IConfiguration configuration) : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var failures = new List<string>();
        ServerLimitsExtensions.BindLimits(configuration, new KestrelServerOptions().Limits, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
