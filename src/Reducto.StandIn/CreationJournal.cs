using System.Collections.Concurrent;

namespace Reducto.StandIn;

/// <summary>
/// One job or file the stand-in created. <see cref="RawConfig"/> is the request body as received (kept up to
/// <see cref="CreationJournal.MaxRawConfigChars"/> characters); uploads have none.
/// </summary>
public sealed record Creation(
    long Sequence, string Route, string Id, DateTimeOffset CreatedAt, string? RawConfig, string? IdempotencyKey, bool Synchronous);

/// <summary>
/// What the stand-in created, per route, in order, and the cancels and deletes it received: the state behind
/// <c>GET /jobs</c> and <c>DELETE /upload</c>, and the counts tests assert ("these attempts created no job").
/// A creation is recorded when the request arrives, before any <see cref="StandInOptions.CreationLatency"/>: a caller
/// that hangs up while waiting has still created the job, as with Reducto. Unlike the request journal's records,
/// creations are never dropped: they are the stand-in's state, as jobs are Reducto's.
/// </summary>
public sealed class CreationJournal
{
    public const int MaxRawConfigChars = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly List<Creation> _all = [];
    private readonly Dictionary<string, Creation> _jobs = new(StringComparer.Ordinal);
    private readonly List<Creation> _jobList = [];
    private readonly ConcurrentDictionary<string, int> _perRoute = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perIdempotencyKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, string> _files = new();
    private int _cancels;
    private int _jobDeletes;
    private int _uploadDeletes;

    /// <summary>Every creation (jobs and uploads), oldest first.</summary>
    public IReadOnlyList<Creation> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _all];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>Creations per route, such as <c>/parse_async</c>, <c>/parse</c> or <c>/upload</c>.</summary>
    public IReadOnlyDictionary<string, int> PerRoute => _perRoute.ToDictionary(StringComparer.Ordinal);

    /// <summary>Creations per <c>Idempotency-Key</c> value, for the creations that carried one.</summary>
    public IReadOnlyDictionary<string, int> PerIdempotencyKey => _perIdempotencyKey.ToDictionary(StringComparer.Ordinal);

    /// <summary><c>POST /cancel/{job_id}</c> requests that passed auth, known jobs or not.</summary>
    public int Cancels => Volatile.Read(ref _cancels);

    /// <summary><c>DELETE /job/{job_id}</c> requests that passed auth, known jobs or not.</summary>
    public int JobDeletes => Volatile.Read(ref _jobDeletes);

    /// <summary><c>DELETE /upload/{file_id}</c> requests that passed auth, known files or not.</summary>
    public int UploadDeletes => Volatile.Read(ref _uploadDeletes);

    public int CountFor(string route) => _perRoute.GetValueOrDefault(route);

    /// <summary>The creation of a job, or null for an id the stand-in never handed out.</summary>
    public Creation? Job(string jobId)
    {
        lock (_lock)
        {
            return _jobs.GetValueOrDefault(jobId);
        }
    }

    internal Creation AddJob(string route, string jobId, string rawConfig, string? idempotencyKey, bool synchronous) =>
        Add(route, jobId, rawConfig.Length > MaxRawConfigChars ? rawConfig[..MaxRawConfigChars] : rawConfig, idempotencyKey, synchronous, isJob: true);

    internal Creation AddFile(string fileId, Guid key, string? idempotencyKey)
    {
        _files[key] = fileId;
        return Add("/upload", fileId, null, idempotencyKey, synchronous: true, isJob: false);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> jobs, newest first, from position <paramref name="before"/> down (positions count
    /// jobs from 0, oldest first; null starts at the newest), and the position to continue from, null when none is left.
    /// </summary>
    internal (List<Creation> Page, int? Next) JobsBefore(int? before, int limit)
    {
        lock (_lock)
        {
            var from = Math.Min(before ?? _jobList.Count, _jobList.Count);
            var take = Math.Min(limit, from);
            var page = new List<Creation>(take);
            for (var i = from - 1; i >= from - take; i--)
            {
                page.Add(_jobList[i]);
            }

            return (page, from - take > 0 ? from - take : null);
        }
    }

    internal bool RemoveFile(Guid key) => _files.TryRemove(key, out _);

    internal void CountCancel() => Interlocked.Increment(ref _cancels);

    internal void CountJobDelete() => Interlocked.Increment(ref _jobDeletes);

    internal void CountUploadDelete() => Interlocked.Increment(ref _uploadDeletes);

    private Creation Add(string route, string id, string? rawConfig, string? idempotencyKey, bool synchronous, bool isJob)
    {
        Creation creation;
        lock (_lock)
        {
            creation = new Creation(_all.Count + 1, route, id, DateTimeOffset.UtcNow, rawConfig, idempotencyKey, synchronous);
            _all.Add(creation);
            if (isJob)
            {
                _jobs[id] = creation;
                _jobList.Add(creation);
            }
        }

        _perRoute.AddOrUpdate(route, 1, static (_, n) => n + 1);
        if (idempotencyKey is not null)
        {
            _perIdempotencyKey.AddOrUpdate(idempotencyKey, 1, static (_, n) => n + 1);
        }

        return creation;
    }
}
