using Reducto.StandIn;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Tests of a real gateway process with a stand-in upstream and a key directory of its own (one file per setting,
/// as a Kubernetes Secret mounts them), for what only a process and a directory it follows can show.
/// </summary>
public abstract class KeyDirectoryProcessTest : IAsyncLifetime
{
    /// <summary>How long a change in the directory may take to be in force: the file watcher's delay plus a reload.</summary>
    protected static readonly TimeSpan Propagation = TimeSpan.FromSeconds(20);

    protected DirectoryInfo KeyDirectory { get; } = Directory.CreateTempSubdirectory("gateway-keys-");

    protected StandInServer Upstream { get; private set; } = null!;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => Upstream = await StandInServer.StartAsync(cancellationToken: Cancel);

    public async ValueTask DisposeAsync()
    {
        await Upstream.DisposeAsync();
        KeyDirectory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A gateway process on the stand-in, with <paramref name="settings"/> as environment variables.</summary>
    protected GatewayProcess StartGateway(Dictionary<string, string> settings)
    {
        settings["Upstream__BaseUrl"] = Upstream.BaseAddress.ToString();
        settings["Upstream__ApiKey"] = GatewayFactory.ServerKey;
        return GatewayProcess.Start(settings);
    }

    // Written beside the directory and moved in, as a Secret update swaps whole files: a reader never sees half a value.
    protected void WriteSetting(string name, string value)
    {
        var temporary = Path.Combine(KeyDirectory.Parent!.FullName, Guid.NewGuid().ToString("N"));
        File.WriteAllText(temporary, value);
        File.Move(temporary, Path.Combine(KeyDirectory.FullName, name), overwrite: true);
    }
}
