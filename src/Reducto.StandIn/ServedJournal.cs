using System.Collections.Concurrent;
using System.Text.Json;

namespace Reducto.StandIn;

/// <summary>What a job's usage says it cost: pages, and credits (null where Reducto has not priced it).</summary>
public readonly record struct JobCost(long Pages, decimal? Credits);

/// <summary>
/// A finished job the stand-in created, as it first told anyone: Completed or Failed, and the usage that answer
/// carried (<see cref="Cost"/> is null when it carried none, as Reducto's Failed bodies do).
/// </summary>
public sealed record ServedJob(string JobId, string Status, JobCost? Cost);

/// <summary>
/// The stand-in's own bill: for each job it created, the first finished answer it served, whether a synchronous
/// route's answer or a <c>GET /job</c> that read Completed or Failed (built in or scripted). It is read from what
/// was sent, not from what a test meant to send, so a gateway's credit reports can be reconciled against it.
/// </summary>
public sealed class ServedJournal
{
    private readonly ConcurrentDictionary<string, ServedJob> _jobs = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ServedJob> Jobs => [.. _jobs.Values];

    public ServedJob? Job(string jobId) => _jobs.GetValueOrDefault(jobId);

    internal void RecordAnswer(string jobId, JobCost cost) => _jobs.TryAdd(jobId, new ServedJob(jobId, "Completed", cost));

    /// <summary>Records a job read's body if it is the job's first finished one; running and unreadable bodies are not.</summary>
    internal void RecordRead(string jobId, byte[] body)
    {
        if (_jobs.ContainsKey(jobId) || Finished(jobId, body) is not { } job)
        {
            return;
        }

        _jobs.TryAdd(jobId, job);
    }

    private static ServedJob? Finished(string jobId, byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status) ||
                status.GetString() is not ("Completed" or "Failed") || status.GetString() is not { } name)
            {
                return null;
            }

            var usage = root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object &&
                result.TryGetProperty("usage", out var found) && found.ValueKind == JsonValueKind.Object ? found : (JsonElement?)null;
            return new ServedJob(jobId, name, usage is { } u
                ? new JobCost(
                    u.TryGetProperty("num_pages", out var pages) && pages.ValueKind == JsonValueKind.Number ? pages.GetInt64() : 0,
                    u.TryGetProperty("credits", out var credits) && credits.ValueKind == JsonValueKind.Number ? credits.GetDecimal() : null)
                : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
