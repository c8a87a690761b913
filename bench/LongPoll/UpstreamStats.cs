using System.Text.Json;

namespace LongPoll;

/// <summary>What the stand-in says about one job: every read's arrival, when it turned Completed, and its webhook.</summary>
internal sealed record UpstreamStats(
    int Reads, DateTimeOffset[] ReadTimes, DateTimeOffset? CompletesAt, DateTimeOffset? WebhookSentAt, int? WebhookStatus, string? WebhookError)
{
    public static async Task<UpstreamStats> FetchAsync(HttpClient http, Uri standIn, string job)
    {
        using var response = await http.GetAsync(new Uri(standIn, "_standin/stats?job=" + Uri.EscapeDataString(job)));
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var root = json.RootElement;
        var reads = root.GetProperty("jobReads").TryGetProperty(job, out var count) ? count.GetInt32() : 0;
        DateTimeOffset? completesAt = root.GetProperty("completions").TryGetProperty(job, out var at) ? at.GetDateTimeOffset() : null;
        var times = root.GetProperty("readTimes").EnumerateArray().Select(static t => t.GetDateTimeOffset()).Order().ToArray();
        if (!root.GetProperty("webhooks").TryGetProperty(job, out var webhook))
        {
            return new UpstreamStats(reads, times, completesAt, null, null, null);
        }

        return new UpstreamStats(reads, times, completesAt,
            webhook.GetProperty("sentAt").GetDateTimeOffset(),
            webhook.GetProperty("statusCode").ValueKind == JsonValueKind.Number ? webhook.GetProperty("statusCode").GetInt32() : null,
            webhook.GetProperty("error").GetString());
    }
}
