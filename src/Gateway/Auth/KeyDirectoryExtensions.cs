using Microsoft.Extensions.FileProviders;

namespace Gateway.Auth;

internal static class KeyDirectoryExtensions
{
    public const string Setting = GatewayKeyOptions.SectionName + ":" + nameof(GatewayKeyOptions.KeysDirectory);

    /// <summary>
    /// Adds <c>Auth:KeysDirectory</c>, when set, as a source of settings: one file per setting, named as the setting
    /// with <c>__</c> for <c>:</c>, as a Kubernetes Secret mounts its keys. Watched by polling rather than by file
    /// system events, which miss the symbolic-link swap a Secret update makes; a change reaches the keys within a
    /// few seconds on every replica that mounts the directory.
    /// </summary>
    public static IConfigurationBuilder AddGatewayKeyDirectory(this ConfigurationManager configuration)
    {
        if (configuration[Setting] is not { Length: > 0 } directory)
        {
            return configuration;
        }

        return configuration.AddKeyPerFile(source =>
        {
            source.FileProvider = new PhysicalFileProvider(Path.GetFullPath(directory)) { UsePollingFileWatcher = true, UseActivePolling = true };
            source.Optional = true;
            source.ReloadOnChange = true;
            source.ReloadDelay = 100;
            // A Secret's mount also holds ..data and timestamped folders; only plain setting files are settings.
            source.IgnoreCondition = static name => name.StartsWith('.');
        });
    }
}
