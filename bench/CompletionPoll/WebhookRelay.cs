using System.Net.Http.Headers;
using System.Text.Json;

namespace CompletionPoll;

/// <summary>
/// Where the stand-in sends its webhook for every <c>after-Ns-*</c> job. The notice of a hooked job is passed on to the
/// gateway's webhook endpoint as is; any other is answered 204 and dropped, so its job is learnt of by polling alone.
/// </summary>
internal sealed class WebhookRelay(WebApplication app) : IAsyncDisposable
{
    public static async Task<WebhookRelay> StartAsync(int port, Uri? hookTo, Dictionary<string, TrackedJob> jobs, HttpClient http)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapPost("/webhooks/reducto", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            if (hookTo is null || JobIdOf(body) is not { } id || !jobs.TryGetValue(id, out var job) || !job.Hooked)
            {
                return Results.NoContent();
            }

            // The poller speeds up before the gateway has the notice: a probe can only be early, never flattered.
            job.Notify();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(hookTo, content);
            job.RelayStatus = (int)response.StatusCode;
            return Results.StatusCode((int)response.StatusCode);
        });
        await app.StartAsync();
        return new WebhookRelay(app);
    }

    private static string? JobIdOf(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("job_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
