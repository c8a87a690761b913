using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Reducto.StandIn;

/// <summary>
/// Job ids that mean something without any scripting, so people, tests and benchmarks can use the stand-in as is.
/// Bodies are generated once per id and then served as identical bytes.
/// </summary>
/// <param name="completionTimed">
/// Told once per <c>after-Ns-*</c> job, at its first read, when it will turn Completed.
/// </param>
internal sealed partial class BuiltInJobs(StandInOptions options, Action<string, DateTimeOffset>? completionTimed = null)
{
    private readonly ConcurrentDictionary<string, byte[]> _bodies = new();
    private readonly ConcurrentDictionary<string, TimedJob> _timed = new();
    private readonly ConcurrentDictionary<string, CreatedJob> _created = new();

    /// <summary>When each <c>after-Ns-*</c> job read so far turned, or will turn, Completed.</summary>
    public IEnumerable<KeyValuePair<string, DateTimeOffset>> Completions =>
        _timed.Select(static t => KeyValuePair.Create(t.Key, t.Value.CompletesAt));

    /// <summary>
    /// A new job id that reads Pending for <see cref="StandInOptions.PendingFor"/>, or Completed at once for a job a
    /// synchronous route created (its answer already carried the result, and <paramref name="cost"/>, which its
    /// Completed body then repeats).
    /// </summary>
    public string Create(bool completed, JobCost? cost = null)
    {
        var id = Guid.NewGuid().ToString();
        _created[id] = new CreatedJob(DateTimeOffset.UtcNow, completed, cost);
        return id;
    }

    /// <summary>Pending or Completed, for a job <see cref="Create"/> made; null for any other id.</summary>
    public string? StatusOf(string id) =>
        _created.TryGetValue(id, out var job) ? (DateTimeOffset.UtcNow >= CompletesAt(job) ? "Completed" : "Pending") : null;

    public ScriptedResponse Resolve(string id)
    {
        var now = DateTimeOffset.UtcNow;
        if (_created.TryGetValue(id, out var created))
        {
            return Progressing(id, CompletesAt(created), created.At, now, created.Cost);
        }

        if (id.StartsWith("done-url-", StringComparison.Ordinal))
        {
            return Json(200, _bodies.GetOrAdd(id, key => JobBodies.Completed(key, 0, now, urlResult: true)));
        }

        if (DoneSize().Match(id) is { Success: true } done)
        {
            var size = done.Groups["size"].Success ? ParseSize(done.Groups["size"].Value) : 2048;
            return Json(200, _bodies.GetOrAdd(id, key => JobBodies.Completed(key, size, now)));
        }

        if (id.StartsWith("failed-", StringComparison.Ordinal))
        {
            return Json(200, _bodies.GetOrAdd(id, key => JobBodies.Failed(key, now)));
        }

        if (id.StartsWith("pending-", StringComparison.Ordinal) || id.StartsWith("idle-", StringComparison.Ordinal))
        {
            var body = JobBodies.Running(id.StartsWith('p') ? "Pending" : "Idle", 40);
            return Json(200, PendingSize().Match(id) is { Success: true } sized ? JobBodies.PaddedTo(body, ParseSize(sized.Groups["size"].Value)) : body);
        }

        if (After().Match(id) is { Success: true } after)
        {
            var timed = new TimedJob(now, now.AddSeconds(int.Parse(after.Groups["s"].Value, CultureInfo.InvariantCulture)));
            if (_timed.TryAdd(id, timed))
            {
                completionTimed?.Invoke(id, timed.CompletesAt);
            }
            else
            {
                timed = _timed[id];
            }

            return Progressing(id, timed.CompletesAt, timed.FirstSeen, now);
        }

        if (StatusCode().Match(id) is { Success: true } status)
        {
            var code = int.Parse(status.Groups["code"].Value, CultureInfo.InvariantCulture);
            return Json(code, ErrorBodies.For(code, id));
        }

        if (id.StartsWith("notjson-", StringComparison.Ordinal))
        {
            return new ScriptedResponse(200, "upstream says hi"u8.ToArray(), "text/plain");
        }

        return Json(404, ErrorBodies.For(404, id));
    }

    private ScriptedResponse Progressing(string id, DateTimeOffset completesAt, DateTimeOffset startedAt, DateTimeOffset now, JobCost? cost = null)
    {
        if (now >= completesAt)
        {
            return Json(200, _bodies.GetOrAdd(id, key => JobBodies.Completed(key, 2048, now, cost: cost)));
        }

        var total = (completesAt - startedAt).TotalMilliseconds;
        var progress = total <= 0 ? 99 : (int)Math.Clamp((now - startedAt).TotalMilliseconds * 100 / total, 0, 99);
        return Json(200, JobBodies.Running("Pending", progress));
    }

    private static ScriptedResponse Json(int status, byte[] body) => new(status, body);

    private readonly record struct TimedJob(DateTimeOffset FirstSeen, DateTimeOffset CompletesAt);

    // Read at each answer, not fixed at creation, so a test that changes PendingFor sees it at once, as before.
    private DateTimeOffset CompletesAt(CreatedJob job) => job.Completed ? job.At : job.At + options.PendingFor;

    private readonly record struct CreatedJob(DateTimeOffset At, bool Completed, JobCost? Cost);

    private static int ParseSize(string size)
    {
        var number = int.Parse(size[..^1], CultureInfo.InvariantCulture);
        return char.ToLowerInvariant(size[^1]) == 'm' ? number << 20 : number << 10;
    }

    [GeneratedRegex("^done-(?:(?<size>[0-9]{1,4}[kKmM])(?:-.*)?|.*)$")]
    private static partial Regex DoneSize();

    [GeneratedRegex("^pending-(?<size>[0-9]{1,4}[kKmM])-")]
    private static partial Regex PendingSize();

    [GeneratedRegex("^after-(?<s>[0-9]{1,5})s-")]
    private static partial Regex After();

    [GeneratedRegex("^status-(?<code>[1-5][0-9]{2})-")]
    private static partial Regex StatusCode();
}

internal static class ErrorBodies
{
    public static byte[] For(int status, string id) => Encoding.UTF8.GetBytes(status switch
    {
        404 => "{\"detail\":\"Job not found\"}",
        409 => $"{{\"error\":{{\"code\":409,\"name\":\"JOB_DELETION_IN_PROGRESS\",\"message\":\"Job is being deleted\",\"job_id\":\"{id}\"}}}}",
        410 => $"{{\"error\":{{\"code\":410,\"name\":\"JOB_DELETED\",\"message\":\"Job has been deleted\",\"job_id\":\"{id}\"}}}}",
        422 => "{\"detail\":[{\"loc\":[\"path\",\"job_id\"],\"msg\":\"Input should be a valid string\",\"type\":\"string_type\"}]}",
        429 => "{\"message\":\"[CODE 2000] rate limit exceeded on /job, please use webhooks instead of polling\"}",
        >= 500 => $"{{\"error\":{{\"code\":{status},\"name\":\"INTERNAL_ERROR\",\"message\":\"Upstream failure\"}}}}",
        _ => $"{{\"error\":{{\"code\":{status},\"name\":\"ERROR\",\"message\":\"Error {status}\"}}}}",
    });
}
