using System.Collections.Concurrent;

namespace Reducto.StandIn;

/// <summary>One request as the stand-in received it.</summary>
public sealed record RecordedRequest(
    string Method, string Path, string QueryString, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

/// <summary>
/// Every request received, in arrival order, recorded before any auth, hold or delay. Counts are exact; the detailed
/// records keep only the most recent <see cref="MaxRecords"/>, so a stand-in under a long benchmark stays small.
/// </summary>
public sealed class RequestJournal
{
    public const int MaxRecords = 50_000;

    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, int> _jobReads = new(StringComparer.Ordinal);
    private int _count;

    public IReadOnlyList<RecordedRequest> All => [.. _requests];

    private long _uploadedBytes;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes received by <c>POST /upload</c>, all uploads together.</summary>
    public long UploadedBytes => Interlocked.Read(ref _uploadedBytes);

    public int CountForJob(string jobId) => _jobReads.GetValueOrDefault("/job/" + jobId);

    /// <summary><c>GET /job/{id}</c> requests received so far, per job id.</summary>
    public IEnumerable<KeyValuePair<string, int>> JobReads =>
        _jobReads.Select(static r => KeyValuePair.Create(r.Key["/job/".Length..], r.Value));

    public void Clear()
    {
        _requests.Clear();
        _jobReads.Clear();
        Interlocked.Exchange(ref _count, 0);
    }

    internal void AddUploadedBytes(long bytes) => Interlocked.Add(ref _uploadedBytes, bytes);

    internal void Record(HttpRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = string.Join(", ", values.ToArray());
        }

        var path = request.Path.Value ?? string.Empty;
        if (HttpMethods.IsGet(request.Method) && path.StartsWith("/job/", StringComparison.Ordinal))
        {
            _jobReads.AddOrUpdate(path, 1, static (_, n) => n + 1);
        }

        Interlocked.Increment(ref _count);
        _requests.Enqueue(new RecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, headers, DateTimeOffset.UtcNow));
        while (_requests.Count > MaxRecords && _requests.TryDequeue(out _))
        {
        }
    }
}
