using System.Collections.Concurrent;

namespace Reducto.StandIn;

/// <summary>One request as the stand-in received it.</summary>
public sealed record RecordedRequest(
    string Method, string Path, string QueryString, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

/// <summary>Every request received, in arrival order, recorded before any auth, hold or delay.</summary>
public sealed class RequestJournal
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public IReadOnlyList<RecordedRequest> All => [.. _requests];

    public int Count => _requests.Count;

    public int CountForJob(string jobId) =>
        _requests.Count(r => r.Method == "GET" && r.Path == "/job/" + jobId);

    public void Clear() => _requests.Clear();

    internal void Record(HttpRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = string.Join(", ", values.ToArray());
        }

        _requests.Enqueue(new RecordedRequest(
            request.Method, request.Path.Value ?? string.Empty, request.QueryString.Value ?? string.Empty, headers, DateTimeOffset.UtcNow));
    }
}
