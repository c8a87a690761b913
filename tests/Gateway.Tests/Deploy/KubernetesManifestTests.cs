using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;
using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Deploy;

/// <summary>
/// deploy/kubernetes says what the gateway really does: probes on its real health paths and port, a grace period
/// that covers the drain, the key directory where the Secret is mounted, and a pod that runs without root or a
/// writable root filesystem.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(RepositoryRoot(), "deploy", "kubernetes");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheProbes_AskTheGatewaysOwnHealthPaths_OnThePortTheImageListensOn()
    {
        var container = Container();
        var port = (int)Scalar(container, "ports", 0, "containerPort").AsInt();
        Assert.Equal("http", Text(container, "ports", 0, "name"));
        Assert.Contains($"ASPNETCORE_HTTP_PORTS={port}", await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "Dockerfile"), Cancel), StringComparison.Ordinal);
        Assert.Equal("http", Text(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("http", Text(container, "livenessProbe", "httpGet", "port"));

        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress);
        using var client = gateway.CreateClient(gatewayKey: null);
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var path = Text(container, probe, "httpGet", "path");
            using var response = await client.GetAsync(path, Cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{probe} {path} answered {(int)response.StatusCode} without a key");
        }

        Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
    }

    [Fact]
    public void TheGracePeriod_CoversThePreStopPauseAndTheDrain()
    {
        var settings = Settings();
        var drain = TimeSpan.Parse(settings.GetProperty("Shutdown").GetProperty("DrainTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var preStop = Scalar(Container(), "lifecycle", "preStop", "sleep", "seconds").AsInt();
        var grace = Scalar(PodSpec(), "terminationGracePeriodSeconds").AsInt();

        Assert.True(grace >= preStop + drain.TotalSeconds + 1, $"grace {grace} s < preStop {preStop} s + drain {drain.TotalSeconds} s");
    }

    [Fact]
    public void TheSecret_IsMountedWhereTheSettingsLookForKeys_AndThePodRunsLocked()
    {
        var keysDirectory = Settings().GetProperty("Auth").GetProperty("KeysDirectory").GetString();
        var container = Container();
        var mounts = (YamlSequenceNode)container.Children["volumeMounts"];
        var keys = mounts.Cast<YamlMappingNode>().Single(m => Text(m, "mountPath") == keysDirectory);
        var volume = ((YamlSequenceNode)PodSpec().Children["volumes"]).Cast<YamlMappingNode>().Single(v => Text(v, "name") == Text(keys, "name"));
        Assert.Equal("gateway-keys", Text(volume, "secret", "secretName"));
        Assert.All(Load("secret.yaml").Children["stringData"].AllNodes.OfType<YamlMappingNode>().Single().Children.Keys,
            key => Assert.Matches("^[A-Za-z0-9._-]+$", ((YamlScalarNode)key).Value!));

        Assert.Equal(3, Scalar(Load("deployment.yaml"), "spec", "replicas").AsInt());
        Assert.Equal("true", Text(PodSpec(), "securityContext", "runAsNonRoot"));
        Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.Equal("1", Text(Load("poddisruptionbudget.yaml"), "spec", "maxUnavailable"));
        Assert.Equal("http", Text(Load("service.yaml"), "spec", "ports", 0, "targetPort"));
    }

    private static JsonElement Settings() =>
        JsonDocument.Parse(Text(Load("configmap.yaml"), "data", "appsettings.json")).RootElement;

    private static YamlMappingNode PodSpec() => (YamlMappingNode)Node(Load("deployment.yaml"), "spec", "template", "spec");

    private static YamlMappingNode Container() => (YamlMappingNode)Node(PodSpec(), "containers", 0);

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Directory, file));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlNode Node(YamlNode node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step is int index ? ((YamlSequenceNode)node).Children[index] : ((YamlMappingNode)node).Children[new YamlScalarNode((string)step)];
        }

        return node;
    }

    private static YamlScalarNode Scalar(YamlNode node, params object[] path) => (YamlScalarNode)Node(node, path);

    private static string Text(YamlNode node, params object[] path) => Scalar(node, path).Value!;

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }
}

internal static class YamlScalarExtensions
{
    public static long AsInt(this YamlScalarNode node) => long.Parse(node.Value!, System.Globalization.CultureInfo.InvariantCulture);
}
