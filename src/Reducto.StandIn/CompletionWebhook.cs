using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Reducto.StandIn;

/// <summary>One delivery attempt, as the stand-in saw it; <see cref="StatusCode"/> is null when no answer came.</summary>
public sealed record WebhookDelivery(DateTimeOffset SentAt, DateTimeOffset? AnsweredAt, int? StatusCode, string? Error);

/// <summary>
/// Reducto's direct webhook (<c>{"status":"Completed","job_id":…,"metadata":{}}</c>), sent once per <c>after-Ns-*</c>
/// job at the moment it turns Completed, so a receiver that reads the job on notice finds it Completed. Like a real
/// vendor's, a failed delivery is not retried: it is logged and recorded for the stats.
/// </summary>
internal sealed class CompletionWebhook(Uri url, ILogger<CompletionWebhook> logger) : IDisposable
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = DeliveryTimeout };
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, WebhookDelivery> _deliveries = new(StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<string, WebhookDelivery>> Deliveries => _deliveries;

    public void Schedule(string jobId, DateTimeOffset completesAt) => _ = DeliverAsync(jobId, completesAt, _stopping.Token);

    private async Task DeliverAsync(string jobId, DateTimeOffset completesAt, CancellationToken stopping)
    {
        try
        {
            // Timers run on a monotonic clock and may end a hair before the wall-clock moment the job's body turns
            // Completed; a notice sent early would make the receiver read a Pending job.
            for (var wait = completesAt - DateTimeOffset.UtcNow; wait > TimeSpan.Zero; wait = completesAt - DateTimeOffset.UtcNow)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), stopping);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var sentAt = DateTimeOffset.UtcNow;
        try
        {
            using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { status = "Completed", job_id = jobId, metadata = new { } }));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _client.PostAsync(url, content, stopping);
            _deliveries[jobId] = new WebhookDelivery(sentAt, DateTimeOffset.UtcNow, (int)response.StatusCode, null);
            logger.WebhookDelivered(jobId, (int)response.StatusCode);
        }
        catch (Exception exception)
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            _deliveries[jobId] = new WebhookDelivery(sentAt, null, null, exception.GetType().Name + ": " + exception.Message);
            logger.WebhookFailed(jobId, exception);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _client.Dispose();
    }
}
