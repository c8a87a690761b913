using System.Text.Json;
using Gateway.Jobs;

namespace Gateway.Webhooks;

/// <summary>
/// The job and status a notification reports. Reducto's direct webhook sends <c>{status, job_id, metadata}</c>; a
/// Svix delivery of its <c>async.update</c> event is read the same way, at the top level or under <c>data</c>, since
/// only those two fields matter: the result itself is always fetched from <c>GET /job</c>.
/// </summary>
internal readonly record struct WebhookNotification(string JobId, string Status)
{
    public bool IsTerminal => JobStatus.IsTerminal(Status);

    public static WebhookNotification? Read(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return From(root) ?? (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) ? From(data) : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static WebhookNotification? From(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object &&
        element.TryGetProperty("job_id", out var id) && id.ValueKind == JsonValueKind.String &&
        element.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
            ? new WebhookNotification(id.GetString()!, status.GetString()!)
            : null;
}
