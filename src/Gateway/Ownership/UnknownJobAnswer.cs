using System.Text;

namespace Gateway.Ownership;

/// <summary>
/// What Reducto answers for a job that does not exist, which is also what a team gets for a job it may not read, so
/// the two cannot be told apart. It starts as the answer Reducto is known to give, and follows Reducto: the last
/// 404 the upstream sent for a job read replaces it, unless that body names the job (then it could not stand for
/// another id).
/// </summary>
internal sealed class UnknownJobAnswer
{
    public const string DefaultContentType = "application/json";

    private Answer _answer = new(DefaultContentType, "{\"detail\":\"Job not found\"}"u8.ToArray());

    /// <summary>The answer as it stands: content type and body, read together.</summary>
    public (string ContentType, ReadOnlyMemory<byte> Body) Current => (_answer.ContentType, _answer.Body);

    public void Learn(string jobId, string? contentType, ReadOnlyMemory<byte> body)
    {
        if (contentType is null || body.Length > 4096 || body.Span.IndexOf(Encoding.UTF8.GetBytes(jobId)) >= 0)
        {
            return;
        }

        var current = _answer;
        if (current.ContentType != contentType || !current.Body.AsSpan().SequenceEqual(body.Span))
        {
            _answer = new Answer(contentType, body.ToArray());
        }
    }

    private sealed record Answer(string ContentType, byte[] Body);
}
