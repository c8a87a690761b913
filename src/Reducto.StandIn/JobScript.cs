using System.Collections.Concurrent;
using System.Text;

namespace Reducto.StandIn;

/// <summary>Per-job behaviour a test sets up; checked before the built-in ids.</summary>
public sealed class JobScript
{
    private readonly ConcurrentDictionary<string, Func<ScriptedResponse>> _responses = new();
    private readonly ConcurrentDictionary<string, JobGate> _gates = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new();
    private readonly ConcurrentDictionary<string, int> _truncations = new();
    private readonly ConcurrentDictionary<string, bool> _aborts = new();

    public void Respond(string jobId, int statusCode, string body, string contentType = "application/json") =>
        Respond(jobId, statusCode, Encoding.UTF8.GetBytes(body), contentType);

    public void Respond(string jobId, int statusCode, byte[] body, string contentType = "application/json")
    {
        var response = new ScriptedResponse(statusCode, body, contentType);
        _responses[jobId] = () => response;
    }

    public void Respond(string jobId, Func<ScriptedResponse> next) => _responses[jobId] = next;

    public JobGate Hold(string jobId) => _gates[jobId] = new JobGate();

    public void Delay(string jobId, TimeSpan delay) => _delays[jobId] = delay;

    public void Abort(string jobId) => _aborts[jobId] = true;

    /// <summary>Announces the whole body's Content-Length, sends only the first bytes, then drops the connection.</summary>
    public void Truncate(string jobId, byte[] body, int sendBytes)
    {
        Respond(jobId, 200, body);
        _truncations[jobId] = sendBytes;
    }

    public void Clear(string jobId)
    {
        _responses.TryRemove(jobId, out _);
        _gates.TryRemove(jobId, out _);
        _delays.TryRemove(jobId, out _);
        _truncations.TryRemove(jobId, out _);
        _aborts.TryRemove(jobId, out _);
    }

    internal ScriptedResponse? ResponseFor(string jobId) => _responses.TryGetValue(jobId, out var next) ? next() : null;

    internal JobGate? GateFor(string jobId) => _gates.GetValueOrDefault(jobId);

    internal TimeSpan? DelayFor(string jobId) => _delays.TryGetValue(jobId, out var delay) ? delay : null;

    internal int? TruncationFor(string jobId) => _truncations.TryGetValue(jobId, out var bytes) ? bytes : null;

    internal bool AbortsFor(string jobId) => _aborts.ContainsKey(jobId);

    /// <summary>Whether a test set anything up for this id, which makes it a job the stand-in knows.</summary>
    internal bool Knows(string jobId) =>
        _responses.ContainsKey(jobId) || _gates.ContainsKey(jobId) || _delays.ContainsKey(jobId) || _truncations.ContainsKey(jobId) || _aborts.ContainsKey(jobId);
}
