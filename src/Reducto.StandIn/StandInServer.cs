using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Reducto.StandIn;

/// <summary>A running stand-in on a real socket, with what it received and what it is scripted to do.</summary>
public sealed class StandInServer : IAsyncDisposable
{
    // Reducto takes multipart uploads up to 100 MB.
    private const long UploadLimitBytes = 110L * 1024 * 1024;

    private readonly WebApplication _app;

    private StandInServer(StandInOptions options, WebApplication app)
    {
        Options = options;
        _app = app;
        if (options.WebhookUrl is { } url)
        {
            Webhook = new CompletionWebhook(url, app.Services.GetRequiredService<ILogger<CompletionWebhook>>());
        }

        Jobs = new BuiltInJobs(options, Webhook is null ? null : Webhook.Schedule);
        app.MapStandIn(this);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public StandInOptions Options { get; }

    public RequestJournal Requests { get; } = new();

    public JobScript Script { get; } = new();

    /// <summary>The jobs and files created, per route, and the cancels and deletes received.</summary>
    public CreationJournal Creations { get; } = new();

    /// <summary>Each created job's first finished answer and what its usage said it cost: the stand-in's own bill.</summary>
    public ServedJournal Served { get; } = new();

    internal BuiltInJobs Jobs { get; }

    internal CompletionWebhook? Webhook { get; }

    public static async Task<StandInServer> StartAsync(
        StandInOptions? options = null, string url = "http://127.0.0.1:0", CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.Limits.MaxRequestBodySize = UploadLimitBytes);
        builder.Logging.ClearProviders();
        var server = new StandInServer(options ?? new StandInOptions(), builder.Build());
        await server._app.StartAsync(cancellationToken);
        server.BaseAddress = new Uri(server.Addresses.First().TrimEnd('/') + "/");
        return server;
    }

    internal static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.Limits.MaxRequestBodySize = UploadLimitBytes);
        var options = builder.Configuration.GetSection(StandInOptions.SectionName).Get<StandInOptions>() ?? new StandInOptions();
        var server = new StandInServer(options, builder.Build());
        await server._app.StartAsync();
        Console.WriteLine(StandInEndpoints.Describe(options, server.Addresses));
        await server._app.WaitForShutdownAsync();
        server.Webhook?.Dispose();
    }

    private ICollection<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

    public async ValueTask DisposeAsync()
    {
        Webhook?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
