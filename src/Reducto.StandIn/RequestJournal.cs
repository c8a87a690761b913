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

    private long _uploadedBytes;

    public int Count => _requests.Count;

    /// <summary>Bytes received by <c>POST /upload</c>, all uploads together.</summary>
    public long UploadedBytes => Interlocked.Read(ref _uploadedBytes);

    public int CountForJob(string jobId) =>
        _requests.Count(r => r.Method == "GET" && r.Path == "/job/" + jobId);

    public void Clear() => _requests.Clear();

    internal void AddUploadedBytes(long bytes) => Interlocked.Add(ref _uploadedBytes, bytes);

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
