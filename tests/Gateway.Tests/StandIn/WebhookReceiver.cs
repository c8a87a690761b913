using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.StandIn;

/// <summary>A real HTTP endpoint on loopback that records every POST it receives and answers 202, as the gateway does.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly Channel<ReceivedWebhook> _received = Channel.CreateUnbounded<ReceivedWebhook>();
    private WebApplication _app = null!;
    private int _count;

    public Uri Url { get; private set; } = null!;

    public int Count => Volatile.Read(ref _count);

    public static async Task<WebhookReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        receiver._app = builder.Build();
        receiver._app.MapPost("/hook", receiver.ReceiveAsync);
        await receiver._app.StartAsync(cancellationToken);
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/hook?secret=s");
        return receiver;
    }

    public async Task<ReceivedWebhook> NextAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await _received.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken);

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        var at = DateTimeOffset.UtcNow;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
        Interlocked.Increment(ref _count);
        await _received.Writer.WriteAsync(new ReceivedWebhook(at, request.QueryString.Value ?? "", request.ContentType, body.ToArray()));
        return Results.Accepted();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedWebhook(DateTimeOffset At, string Query, string? ContentType, byte[] Body);
